package server_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flsps/faqbot/internal/config"
	"github.com/flsps/faqbot/internal/pgtest"
	"github.com/flsps/faqbot/internal/store"
)

// Booking texts of the kind patients send two at a time.
var bookingTexts = []string{
	"i need to book an appointment",
	"can i schedule a consult for friday",
	"i want to make an appointment",
	"book me in please",
}

// burst sends each patient's texts all at once, from 32 senders, spread
// over the replicas, and fails the test on any non-200.
func burst(t *testing.T, replicas []*env, patients int, prefix string) {
	t.Helper()
	type job struct {
		e          *env
		from, body string
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for j := range jobs {
				if code, body := j.e.sms(j.from, j.body); code != 200 {
					t.Errorf("%s: %d %s", j.from, code, body)
				}
			}
		})
	}
	n := 0
	for p := range patients {
		for _, text := range bookingTexts {
			jobs <- job{replicas[n%len(replicas)], fmt.Sprintf("+1561%s%05d", prefix, p), text}
			n++
		}
	}
	close(jobs)
	wg.Wait()
}

// checkOneEach asserts one open escalation and one queued staff alert per
// patient.
func checkOneEach(t *testing.T, st store.Store, patients int) {
	t.Helper()
	open, err := st.Escalations(context.Background(), store.EscalationFilter{Status: []string{store.EscOpen}})
	if err != nil {
		t.Fatal(err)
	}
	per := map[int64]int{}
	for _, e := range open {
		per[e.ConversationID]++
	}
	if len(open) != patients || len(per) != patients {
		t.Fatalf("%d open escalations for %d patients, want one each of %d", len(open), len(per), patients)
	}
	pending, _, err := st.OutboxStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if pending != patients {
		t.Fatalf("%d staff alerts queued, want %d (one per patient)", pending, patients)
	}
}

// TestFourTextsAtOnceOneEscalation: 200 patients each send 4 booking texts
// concurrently; each gets one escalation and staff get one alert each.
func TestFourTextsAtOnceOneEscalation(t *testing.T) {
	e := start(t, "")
	burst(t, []*env{e}, 200, "300")
	checkOneEach(t, e.srv.Store(), 200)
}

// TestTwoReplicasOnePostgres: the same burst spread over two servers on one
// PostgreSQL database; a Twilio retry landing on the other replica gets
// the same reply and stores nothing; staff consoles on the other replica
// hear of the change.
func TestTwoReplicasOnePostgres(t *testing.T) {
	url := pgtest.URL(t)
	pg := func(c *config.Config) { c.DatabaseURL = url }
	a, b := start(t, "", pg), start(t, "", pg)

	changes := make(chan struct{}, 1)
	ch, cancel := b.srv.Store().(interface {
		SubscribeChanges() (<-chan struct{}, func())
	}).SubscribeChanges()
	defer cancel()
	go func() {
		for range ch {
			select {
			case changes <- struct{}{}:
			default:
			}
		}
	}()

	burst(t, []*env{a, b}, 200, "400")
	checkOneEach(t, a.srv.Store(), 200)
	select {
	case <-changes:
	case <-time.After(5 * time.Second):
		t.Fatal("replica b heard nothing of the writes")
	}

	sid := newSID()
	_, first := a.smsWithSID(sid, "+15615559876", "how long does botox last")
	_, again := b.smsWithSID(sid, "+15615559876", "how long does botox last")
	if first == "" || again != first {
		t.Fatalf("retry on the other replica answered %q, first %q", again, first)
	}
	conv, err := b.srv.Store().Conversation(context.Background(), store.ChannelSMS, "+15615559876")
	if err != nil {
		t.Fatal(err)
	}
	msgs, _ := b.srv.Store().Messages(context.Background(), conv.ID)
	if len(msgs) != 2 {
		t.Fatalf("retry stored again: %d messages", len(msgs))
	}
}

// TestUrgentAlertLeavesFirstUnderLoad: with hundreds of booking alerts
// queued and webhooks still arriving, an emergency's staff alert is the
// first one the outbox sends.
func TestUrgentAlertLeavesFirstUnderLoad(t *testing.T) {
	e := start(t, "")
	burst(t, []*env{e}, 150, "500")
	if code, reply := e.sms("+15615551234", "i cant breathe after my botox shot"); code != 200 || !strings.Contains(reply, "911") {
		t.Fatalf("emergency: %d %q", code, reply)
	}
	ctx, stop := context.WithCancel(context.Background())
	var load sync.WaitGroup
	load.Go(func() { // more webhooks while the outbox drains
		for i := 0; ctx.Err() == nil && i < 400; i++ {
			e.sms(fmt.Sprintf("+1561600%05d", i), bookingTexts[i%len(bookingTexts)])
		}
	})
	start := time.Now()
	e.runWorkers()
	msgs := e.twilio.WaitForMessages(1, 10*time.Second)
	took := time.Since(start)
	stop()
	load.Wait()
	if len(msgs) == 0 {
		t.Fatal("no alert sent")
	}
	if !strings.Contains(msgs[0].Body, "URGENT") {
		t.Fatalf("first alert sent = %q, want the urgent one", msgs[0].Body)
	}
	t.Logf("urgent alert left %v after the worker started, ahead of %d queued alerts", took.Round(time.Millisecond), 150)
}
