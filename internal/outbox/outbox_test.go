package outbox_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/flsps/faqbot/internal/outbox"
	"github.com/flsps/faqbot/internal/sms"
	"github.com/flsps/faqbot/internal/store"
	"github.com/flsps/faqbot/internal/twiliotest"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// epochs are the dates the clock-driven tests run at: far in the past, near
// now and far ahead, so a test that mixes the fake clock with the real one
// fails on any day, not only once the calendar passes its date.
var epochs = []time.Time{
	time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC),
	time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC),
	time.Date(2099, 12, 31, 23, 0, 0, 0, time.UTC),
}

// atEveryEpoch runs fn once per epoch as a subtest.
func atEveryEpoch(t *testing.T, fn func(t *testing.T, start time.Time)) {
	for _, e := range epochs {
		t.Run(e.Format("2006"), func(t *testing.T) { fn(t, e) })
	}
}

// setup opens a store and a worker that share one fake clock starting at
// start.
func setup(t *testing.T, start time.Time) (*store.SQL, *twiliotest.Server, *outbox.Worker, *clock) {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "faqbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tw := twiliotest.NewServer(t)
	sender, err := sms.NewSender(sms.SenderConfig{APIURL: tw.URL(), AccountSID: tw.AccountSID(), AuthToken: tw.AuthToken(), From: "+15615550100"})
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: start}
	st.SetClock(c.now)
	w := &outbox.Worker{Store: st, SendSMS: sender.Send, Permanent: sms.IsPermanent, Now: c.now,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), BaseBackoff: time.Second}
	return st, tw, w, c
}

func booking(t *testing.T, st store.Store, sid string, staff ...string) store.ExchangeResult {
	t.Helper()
	var alerts []store.OutboxItem
	for _, n := range staff {
		alerts = append(alerts, store.OutboxItem{Kind: store.OutboxSMS, Target: n, Body: "New booking escalation #{escalation_id}"})
	}
	res, err := st.RecordExchange(context.Background(), store.Exchange{
		Channel: store.ChannelSMS, Address: "+15615550142", ExternalID: sid, Body: "can i book for tuesday",
		Intent: "booking", Reply: "Our staff will text you back.", Escalate: &store.NewEscalation{Kind: "booking", Priority: "normal"},
		Alerts: alerts,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestRetriesUntilTwilioAccepts(t *testing.T) {
	atEveryEpoch(t, func(t *testing.T, start time.Time) {
		st, tw, w, c := setup(t, start)
		ctx := context.Background()
		res := booking(t, st, "SM00000000000000000000000000000001", "+15615550199")
		tw.FailNext(2, 500)

		for i := 0; i < 3; i++ {
			if n := w.RunOnce(ctx); n != 1 {
				t.Fatalf("round %d: handled %d items, want 1", i, n)
			}
			if w.RunOnce(ctx) != 0 {
				t.Fatal("a failed item must wait for its backoff")
			}
			c.t = c.t.Add(time.Hour)
		}
		msgs := tw.Messages()
		if len(msgs) != 1 || msgs[0].To != "+15615550199" {
			t.Fatalf("sent %+v", msgs)
		}
		want := "New booking escalation #" + itoa(res.Escalation.ID)
		if msgs[0].Body != want {
			t.Fatalf("alert body %q, want %q", msgs[0].Body, want)
		}
		if p, f, _ := st.OutboxStats(ctx); p != 0 || f != 0 {
			t.Fatalf("pending %d failed %d", p, f)
		}
	})
}

func TestPermanentRefusalIsNotRetried(t *testing.T) {
	atEveryEpoch(t, func(t *testing.T, start time.Time) {
		st, tw, w, c := setup(t, start)
		ctx := context.Background()
		booking(t, st, "SM00000000000000000000000000000002", "+15615550198")
		tw.RejectTo("+15615550198", 21610)
		w.RunOnce(ctx)
		c.t = c.t.Add(24 * time.Hour)
		if n := w.RunOnce(ctx); n != 0 {
			t.Fatalf("a refused item was claimed again (%d)", n)
		}
		if tw.Calls() != 1 {
			t.Fatalf("calls %d", tw.Calls())
		}
		if _, f, _ := st.OutboxStats(ctx); f != 1 {
			t.Fatalf("failed %d, want 1", f)
		}
	})
}

func TestNotConfiguredFailsWithAReason(t *testing.T) {
	atEveryEpoch(t, func(t *testing.T, start time.Time) {
		st, _, w, _ := setup(t, start)
		w.SendSMS = nil
		ctx := context.Background()
		msg, err := st.QueueOutbound(ctx, booking(t, st, "SM00000000000000000000000000000003").Conversation.ID, store.AuthorStaff, "See you Tuesday")
		if err != nil {
			t.Fatal(err)
		}
		w.RunOnce(ctx)
		m, err := st.Message(ctx, msg.ID)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != store.MsgFailed {
			t.Fatalf("status %q", m.Status)
		}
	})
}

func TestRunDrainsAndStops(t *testing.T) {
	st, tw, w, _ := setup(t, time.Now())
	st.SetClock(time.Now) // Run paces itself by the real clock
	w.Now = time.Now
	w.Interval = 10 * time.Millisecond
	booking(t, st, "SM00000000000000000000000000000004", "+15615550197", "+15615550196")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	w.Wake()
	if got := tw.WaitForMessages(2, 5*time.Second); len(got) != 2 {
		t.Fatalf("sent %d", len(got))
	}
	cancel()
	<-done
}

func itoa(n int64) string {
	return strconv.FormatInt(n, 10)
}

// A staff reply Twilio refuses with 21610 (the patient unsubscribed with the
// carrier) fails for good and marks the patient opted out; an alert to a
// staff number refused the same way marks nobody.
func TestUnsubscribedRecipientIsMarkedOptedOut(t *testing.T) {
	atEveryEpoch(t, func(t *testing.T, start time.Time) {
		st, tw, w, _ := setup(t, start)
		w.Unsubscribed = sms.IsUnsubscribed
		ctx := context.Background()
		res := booking(t, st, "SM00000000000000000000000000000009", "+15615550198")
		tw.RejectTo("+15615550198", 21610)
		tw.RejectTo(res.Conversation.Address, 21610)
		if _, err := st.QueueStaffReply(ctx, res.Escalation.ID, 0, "api:test", "Hi, this is the front desk"); err != nil {
			t.Fatal(err)
		}
		w.RunOnce(ctx)
		conv, err := st.ConversationByID(ctx, res.Conversation.ID)
		if err != nil || !conv.OptedOut {
			t.Fatalf("patient not opted out: %+v %v", conv, err)
		}
		if _, err := st.QueueStaffReply(ctx, res.Escalation.ID, 0, "api:test", "again"); err != store.ErrOptedOut {
			t.Fatalf("a second reply: %v, want ErrOptedOut", err)
		}
	})
}

// A batch's urgent items all leave before any other starts; the others go
// out several at a time, so one slow send does not hold up the rest.
func TestUrgentFirstThenParallel(t *testing.T) {
	st, _, w, _ := setup(t, epochs[1])
	ctx := context.Background()
	for i := range 6 {
		urgent := i >= 4 // queued last, sent first
		if _, err := st.RecordExchange(ctx, store.Exchange{
			Channel: store.ChannelSMS, Address: "+1561555010" + strconv.Itoa(i), Body: "hello", Reply: "hi",
			Alerts: []store.OutboxItem{{Kind: store.OutboxWebhook, Target: "http://staff.invalid/hook", Body: strconv.Itoa(i), Urgent: urgent}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	var order []string
	inFlight, most := 0, 0
	release := make(chan struct{})
	w.Parallel = 4
	w.PostWebhook = func(ctx context.Context, url, body string) error {
		mu.Lock()
		order = append(order, body)
		inFlight++
		most = max(most, inFlight)
		normal := body < "4"
		mu.Unlock()
		if normal {
			<-release // the normal ones wait until four are in flight together
		}
		mu.Lock()
		inFlight--
		mu.Unlock()
		return nil
	}
	go func() {
		for {
			mu.Lock()
			n := inFlight
			mu.Unlock()
			if n == 4 {
				close(release)
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	if n := w.RunOnce(ctx); n != 6 {
		t.Fatalf("delivered %d, want 6", n)
	}
	if len(order) != 6 || order[0] < "4" || order[1] < "4" {
		t.Fatalf("delivery order %v: the urgent ones (4, 5) first", order)
	}
	for _, b := range order[2:] {
		if b >= "4" {
			t.Fatalf("delivery order %v: an urgent one after a normal one", order)
		}
	}
	if most != 4 {
		t.Fatalf("at most %d in flight, want 4", most)
	}
}
