package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestOneEscalationPerPatientConcurrent sends 4 booking texts from each of
// 200 patients at once: every patient ends with one open escalation and
// one alert, and the other three messages joined it.
func TestOneEscalationPerPatientConcurrent(t *testing.T) {
	eachBackend(t, testOneEscalationPerPatientConcurrent)
}

func testOneEscalationPerPatientConcurrent(t *testing.T, s *SQL) {
	ctx := context.Background()
	const patients, each = 200, 4
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	errs := make(chan error, patients*each)
	var mu sync.Mutex
	created, joined := 0, 0
	for p := range patients {
		for m := range each {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				ex := bookingExchange(fmt.Sprintf("SMc%d-%d", p, m))
				ex.Address = fmt.Sprintf("+1555200%04d", p)
				ex.At = t0.Add(time.Duration(m) * time.Second)
				res, err := s.RecordExchange(ctx, ex)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if res.Escalation != nil {
					created++
				}
				if res.Joined != nil {
					joined++
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if created != patients || joined != patients*(each-1) {
		t.Fatalf("created %d, joined %d; want %d, %d", created, joined, patients, patients*(each-1))
	}
	if n := count(t, s, `SELECT COUNT(*) FROM escalations WHERE status = 'open'`); n != patients {
		t.Fatalf("open escalations = %d, want %d", n, patients)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM (SELECT conversation_id FROM escalations GROUP BY conversation_id HAVING COUNT(*) > 1) d`); n != 0 {
		t.Fatalf("%d patients have several escalations", n)
	}
	// bookingExchange carries two alerts (an SMS and a webhook).
	if n := count(t, s, `SELECT COUNT(*) FROM outbox`); n != 2*patients {
		t.Fatalf("alerts = %d, want %d", n, 2*patients)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM messages WHERE direction = 'in'`); n != patients*each {
		t.Fatalf("inbound messages = %d", n)
	}
}

// TestJoinBumpsAndEmergencyOpensBeside: a second booking text joins the
// open escalation and bumps it; an emergency opens an urgent one beside it
// with urgent alerts; later texts join the urgent one.
func TestJoinBumpsAndEmergencyOpensBeside(t *testing.T) { eachBackend(t, testJoinBumps) }

func testJoinBumps(t *testing.T, s *SQL) {
	ctx := context.Background()
	first := escalate(t, s, "+15551110000", KindBooking, PriorityNormal, t0)
	second := escalate(t, s, "+15551110000", KindHuman, PriorityNormal, t0.Add(time.Minute))
	if second.Escalation != nil || second.Joined == nil || second.Joined.ID != first.Escalation.ID {
		t.Fatalf("second = %+v", second)
	}
	if !second.Joined.UpdatedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("joined escalation not bumped: %v", second.Joined.UpdatedAt)
	}
	urgent := escalate(t, s, "+15551110000", KindEmergency, PriorityUrgent, t0.Add(2*time.Minute))
	if urgent.Escalation == nil || urgent.Escalation.Priority != PriorityUrgent {
		t.Fatalf("emergency during a booking escalation: %+v", urgent)
	}
	after := escalate(t, s, "+15551110000", KindBooking, PriorityNormal, t0.Add(3*time.Minute))
	if after.Joined == nil || after.Joined.ID != urgent.Escalation.ID {
		t.Fatalf("later text should join the urgent escalation: %+v", after)
	}
	again := escalate(t, s, "+15551110000", KindEmergency, PriorityUrgent, t0.Add(4*time.Minute))
	if again.Escalation != nil || again.Joined == nil {
		t.Fatalf("second emergency should join: %+v", again)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM outbox`); n != 2 {
		t.Fatalf("alerts = %d, want 2 (booking, emergency)", n)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM outbox WHERE urgent = 1`); n != 1 {
		t.Fatalf("urgent alerts = %d, want 1", n)
	}
	// Resolving the booking and reopening it is fine; reopening a second
	// booking escalation beside an active one is a conflict.
	if _, err := s.ResolveEscalation(ctx, first.Escalation.ID, 0, "api", OutcomeAnswered, ""); err != nil {
		t.Fatal(err)
	}
	b2 := escalate(t, s, "+15551110000", KindBooking, PriorityNormal, t0.Add(5*time.Minute))
	if b2.Joined == nil { // joins the active urgent one
		t.Fatalf("b2 = %+v", b2)
	}
	if _, err := s.ResolveEscalation(ctx, urgent.Escalation.ID, 0, "api", OutcomeAnswered, ""); err != nil {
		t.Fatal(err)
	}
	b3 := escalate(t, s, "+15551110000", KindBooking, PriorityNormal, t0.Add(6*time.Minute))
	if b3.Escalation == nil {
		t.Fatalf("b3 = %+v", b3)
	}
	if _, err := s.ReopenEscalation(ctx, first.Escalation.ID, 0, "api"); !errors.Is(err, ErrConflict) {
		t.Fatalf("reopen beside an active booking escalation: %v, want ErrConflict", err)
	}
}

// TestOutboxUrgentFirst: an urgent alert queued after many normal ones is
// claimed first.
func TestOutboxUrgentFirst(t *testing.T) { eachBackend(t, testOutboxUrgentFirst) }

func testOutboxUrgentFirst(t *testing.T, s *SQL) {
	ctx := context.Background()
	for i := range 20 {
		escalate(t, s, fmt.Sprintf("+1555300%04d", i), KindBooking, PriorityNormal, t0.Add(time.Duration(i)*time.Second))
	}
	u := escalate(t, s, "+15553999999", KindEmergency, PriorityUrgent, t0.Add(time.Minute))
	items, err := s.ClaimOutbox(ctx, t0.Add(2*time.Minute), 5, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 5 || !items[0].Urgent || *items[0].EscalationID != u.Escalation.ID {
		t.Fatalf("claimed %d, first = %+v (escalation %d), want the urgent alert of %d", len(items), items[0], *items[0].EscalationID, u.Escalation.ID)
	}
	for _, it := range items[1:] {
		if it.Urgent {
			t.Fatalf("only one urgent item: %+v", it)
		}
	}
}

// TestReplicasShareOnePostgres: two stores on one database (two replicas)
// claim the outbox concurrently and each item goes to one of them; a write
// on one is announced on the other; a Twilio retry landing on the other
// replica is a duplicate.
func TestReplicasShareOnePostgres(t *testing.T) {
	url := openPGURL(t)
	a, b := openPGAt(t, url), openPGAt(t, url)
	ctx := context.Background()
	changes, cancel := b.SubscribeChanges()
	defer cancel()
	drain(changes)

	for i := range 100 {
		ex := bookingExchange(fmt.Sprintf("SMr%d", i))
		ex.Address = fmt.Sprintf("+1555400%04d", i)
		st := a
		if i%2 == 1 {
			st = b
		}
		if _, err := st.RecordExchange(ctx, ex); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-changes:
	case <-time.After(5 * time.Second):
		t.Fatal("replica b heard nothing of a's writes")
	}
	retry, err := b.RecordExchange(ctx, bookingExchange("SMr0"))
	if err != nil || !retry.Duplicate {
		t.Fatalf("retry on the other replica: %+v, %v", retry, err)
	}

	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for _, st := range []*SQL{a, b, a, b} {
		wg.Go(func() {
			for {
				items, err := st.ClaimOutbox(ctx, t0.Add(time.Hour), 7, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if len(items) == 0 {
					return
				}
				mu.Lock()
				for _, it := range items {
					seen[it.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != 200 {
		t.Fatalf("claimed %d distinct items, want 200", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("item %d claimed %d times", id, n)
		}
	}
	// A dead replica's lease expires and the item is claimed again.
	again, err := a.ClaimOutbox(ctx, t0.Add(time.Hour+2*time.Minute), 500, time.Minute)
	if err != nil || len(again) != 200 {
		t.Fatalf("expired leases reclaimed: %d, %v", len(again), err)
	}
}

func openPGURL(t *testing.T) string {
	t.Helper()
	s := openPG(t) // skips without a database; creates the schema's tables once
	_ = s
	return s.url
}

func openPGAt(t *testing.T, url string) *SQL {
	t.Helper()
	s, err := OpenPostgres(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func drain(ch <-chan struct{}) {
	for {
		select {
		case <-ch:
		case <-time.After(300 * time.Millisecond):
			return
		}
	}
}

// TestMigrationResolvesDuplicateEscalations: a database from before the
// unique index, holding the duplicates the old race left, migrates: the
// oldest active escalation of each conversation and kind stays open.
func TestMigrationResolvesDuplicateEscalations(t *testing.T) {
	ctx := context.Background()
	s, path := open(t)
	first := escalate(t, s, "+15556660000", KindBooking, PriorityNormal, t0)
	// Back to the schema before the unique index, then the race's duplicate.
	before := 0
	for i, m := range migrations {
		if strings.Contains(m, "escalations_one_active") {
			before = i
		}
	}
	for _, q := range []string{
		`DROP INDEX escalations_one_active`, `DROP INDEX outbox_claim`, `ALTER TABLE outbox DROP COLUMN urgent`,
		fmt.Sprintf(`UPDATE schema_version SET version = %d`, before),
		fmt.Sprintf(`INSERT INTO escalations (conversation_id, kind, priority, status, created_at, updated_at)
			VALUES (%d, 'booking', 'normal', 'open', %d, %d)`, first.Conversation.ID, ms(t0)+1, ms(t0)+1),
	} {
		if _, err := s.w.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s.Close()
	s2, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	active, err := s2.Escalations(ctx, EscalationFilter{Status: []string{EscOpen}})
	if err != nil || len(active) != 1 || active[0].ID != first.Escalation.ID {
		t.Fatalf("open after migration = %+v, %v; want only #%d", active, err, first.Escalation.ID)
	}
	all, _ := s2.Escalations(ctx, EscalationFilter{})
	if len(all) != 2 || all[1].Status != EscResolved || all[1].Outcome != OutcomeOther {
		t.Fatalf("the duplicate should be resolved (other): %+v", all)
	}
}
