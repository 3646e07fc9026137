package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func escalate(t *testing.T, s *SQL, addr, kind, prio string, at time.Time) ExchangeResult {
	t.Helper()
	ch := ChannelSMS
	if strings.HasPrefix(addr, "whatsapp:") {
		ch = ChannelWhatsApp
	}
	res, err := s.RecordExchange(context.Background(), Exchange{Channel: ch, Address: addr,
		ExternalID: fmt.Sprintf("SM%s%d", addr, at.UnixNano()), Body: kind + " please",
		Intent: kind, Escalate: &NewEscalation{Kind: kind, Priority: prio}, Reply: "ok", At: at,
		Alerts: []OutboxItem{{Kind: OutboxWebhook, Target: "https://hooks.example/a", Body: "#{escalation_id}"}}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestEscalationOrdering(t *testing.T) { eachBackend(t, testEscalationOrdering) }

func testEscalationOrdering(t *testing.T, s *SQL) {
	ctx := context.Background()
	a := escalate(t, s, "+15550000001", KindBooking, PriorityNormal, t0)
	b := escalate(t, s, "+15550000002", KindEmergency, PriorityUrgent, t0.Add(2*time.Minute))
	c := escalate(t, s, "+15550000003", KindHuman, PriorityNormal, t0.Add(time.Minute))
	d := escalate(t, s, "+15550000004", KindEmergency, PriorityUrgent, t0.Add(3*time.Minute))
	list, err := s.Escalations(ctx, EscalationFilter{Status: []string{EscOpen}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, e := range list {
		ids = append(ids, e.ID)
	}
	want := []int64{b.Escalation.ID, d.Escalation.ID, a.Escalation.ID, c.Escalation.ID}
	if fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Fatalf("order = %v, want %v", ids, want)
	}
	if list[0].Address != "+15550000002" || list[0].MessageBody != "emergency please" || list[0].Channel != ChannelSMS {
		t.Fatalf("joined fields = %+v", list[0])
	}
	if open, urgent, err := s.CountOpen(ctx); err != nil || open != 4 || urgent != 2 {
		t.Fatalf("CountOpen = %d, %d, %v", open, urgent, err)
	}
	if _, err := s.ClaimEscalation(ctx, b.Escalation.ID, 1, "Ana"); err != nil {
		t.Fatal(err)
	}
	list, _ = s.Escalations(ctx, EscalationFilter{Status: []string{EscOpen}, Limit: 2})
	if len(list) != 2 || list[0].ID != d.Escalation.ID || list[1].ID != a.Escalation.ID {
		t.Fatalf("open, limit 2 = %+v", list)
	}
	all, _ := s.Escalations(ctx, EscalationFilter{})
	if len(all) != 4 {
		t.Fatalf("all = %d", len(all))
	}
	if open, urgent, _ := s.CountOpen(ctx); open != 3 || urgent != 1 {
		t.Fatalf("CountOpen = %d, %d", open, urgent)
	}
	if _, err := s.Escalation(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
}

func TestEscalationLifecycle(t *testing.T) { eachBackend(t, testEscalationLifecycle) }

func testEscalationLifecycle(t *testing.T, s *SQL) {
	ctx := context.Background()
	clock := t0.Add(time.Hour)
	s.now = func() time.Time { return clock }
	res := escalate(t, s, "+15550000009", KindBooking, PriorityNormal, t0)
	id, conv := res.Escalation.ID, res.Conversation.ID

	e, err := s.ClaimEscalation(ctx, id, 7, "Ana")
	if err != nil || e.Status != EscClaimed || *e.ClaimedBy != 7 || e.ClaimedByName != "Ana" || !e.ClaimedAt.Equal(clock) {
		t.Fatalf("claim = %+v, %v", e, err)
	}
	if _, err := s.ClaimEscalation(ctx, id, 7, "Ana"); err != nil {
		t.Fatalf("re-claim by the same staff: %v", err)
	}
	if _, err := s.ClaimEscalation(ctx, id, 8, "Ben"); !errors.Is(err, ErrConflict) {
		t.Fatalf("claim by another: %v", err)
	}
	if _, err := s.ClaimEscalation(ctx, 999, 8, "Ben"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("claim missing: %v", err)
	}
	active, err := s.ActiveEscalation(ctx, conv)
	if err != nil || active.ID != id || active.Status != EscClaimed {
		t.Fatalf("active = %+v, %v", active, err)
	}
	e, err = s.ReleaseEscalation(ctx, id, 7, "Ana")
	if err != nil || e.Status != EscOpen || e.ClaimedBy != nil || e.ClaimedByName != "" {
		t.Fatalf("release = %+v, %v", e, err)
	}
	if _, err := s.ClaimEscalation(ctx, id, 8, "Ben"); err != nil {
		t.Fatalf("claim after release: %v", err)
	}
	if _, err := s.AddNote(ctx, id, 8, "Ben", "called, left voicemail"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddNote(ctx, 999, 8, "Ben", "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("note on missing: %v", err)
	}
	if _, err := s.ResolveEscalation(ctx, id, 8, "Ben", "bogus", ""); err == nil {
		t.Fatal("resolved with an unknown outcome")
	}
	e, err = s.ResolveEscalation(ctx, id, 8, "Ben", OutcomeBooked, "Tue 3pm")
	if err != nil || e.Status != EscResolved || e.Outcome != OutcomeBooked || !e.ResolvedAt.Equal(clock) {
		t.Fatalf("resolve = %+v, %v", e, err)
	}
	if _, err := s.ResolveEscalation(ctx, id, 8, "Ben", OutcomeBooked, ""); !errors.Is(err, ErrConflict) {
		t.Fatalf("resolve twice: %v", err)
	}
	if _, err := s.ClaimEscalation(ctx, id, 8, "Ben"); !errors.Is(err, ErrConflict) {
		t.Fatalf("claim resolved: %v", err)
	}
	if _, err := s.ActiveEscalation(ctx, conv); !errors.Is(err, ErrNotFound) {
		t.Fatalf("active after resolve: %v", err)
	}
	if _, err := s.ReleaseEscalation(ctx, id, 8, "Ben"); !errors.Is(err, ErrConflict) {
		t.Fatalf("release resolved: %v", err)
	}
	e, err = s.ReopenEscalation(ctx, id, 7, "Ana")
	if err != nil || e.Status != EscOpen || e.Outcome != "" || e.ResolvedAt != nil || e.ClaimedBy != nil {
		t.Fatalf("reopen = %+v, %v", e, err)
	}
	if _, err := s.ReopenEscalation(ctx, id, 7, "Ana"); !errors.Is(err, ErrConflict) {
		t.Fatalf("reopen open: %v", err)
	}
	// Integrations claim with staff id 0 and a name.
	if _, err := s.ClaimEscalation(ctx, id, 0, "api:crm"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimEscalation(ctx, id, 0, "api:crm"); err != nil {
		t.Fatalf("idempotent integration claim: %v", err)
	}
	if _, err := s.ClaimEscalation(ctx, id, 0, "api:other"); !errors.Is(err, ErrConflict) {
		t.Fatalf("other integration: %v", err)
	}

	evs, err := s.Events(ctx, conv)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, ev := range evs {
		kinds = append(kinds, ev.Kind)
		if ev.EscalationID == nil || *ev.EscalationID != id {
			t.Fatalf("event without escalation: %+v", ev)
		}
	}
	want := "[escalated claimed released claimed note resolved note reopened claimed]"
	if fmt.Sprint(kinds) != want {
		t.Fatalf("events = %v, want %s", kinds, want)
	}
	if evs[5].Body != OutcomeBooked || evs[6].Body != "Tue 3pm" || evs[4].Body != "called, left voicemail" ||
		*evs[1].ActorID != 7 || evs[1].ActorName != "Ana" || evs[8].ActorID != nil || evs[8].ActorName != "api:crm" {
		t.Fatalf("event details = %+v", evs)
	}
	c, _ := s.ConversationByID(ctx, conv)
	if !c.UpdatedAt.Equal(clock) {
		t.Fatalf("conversation activity not recorded: %v", c.UpdatedAt)
	}
}

func TestQueueStaffReply(t *testing.T) { eachBackend(t, testQueueStaffReply) }

func testQueueStaffReply(t *testing.T, s *SQL) {
	ctx := context.Background()
	res := escalate(t, s, "whatsapp:+15550000010", KindHuman, PriorityNormal, t0)
	m, err := s.QueueStaffReply(ctx, res.Escalation.ID, 7, "Ana", "Hi, this is Ana from the clinic.")
	if err != nil {
		t.Fatal(err)
	}
	if m.Author != AuthorStaff || *m.StaffID != 7 || m.Status != MsgQueued || m.Direction != DirectionOut {
		t.Fatalf("message = %+v", m)
	}
	items, _ := s.ClaimOutbox(ctx, t0, 10, time.Minute)
	items = items[1:] // the first is the escalation's alert
	if len(items) != 1 || items[0].Target != "whatsapp:+15550000010" || *items[0].MessageID != m.ID ||
		*items[0].EscalationID != res.Escalation.ID || items[0].Kind != OutboxSMS || items[0].Body != m.Body {
		t.Fatalf("outbox = %+v", items)
	}
	if _, err := s.QueueStaffReply(ctx, 999, 7, "Ana", "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing escalation: %v", err)
	}

	// The patient opts out: staff replies are refused and nothing is stored.
	if r, err := s.RecordExchange(ctx, Exchange{Channel: ChannelWhatsApp, Address: "whatsapp:+15550000010",
		ExternalID: "SMstop", Body: "STOP", OptOut: ptr(true), At: t0.Add(time.Minute)}); err != nil || !r.Conversation.OptedOut {
		t.Fatalf("%+v, %v", r, err)
	}
	before := count(t, s, `SELECT COUNT(*) FROM messages`)
	if _, err := s.QueueStaffReply(ctx, res.Escalation.ID, 7, "Ana", "Are you there?"); !errors.Is(err, ErrOptedOut) {
		t.Fatalf("reply to opted-out: %v", err)
	}
	if after := count(t, s, `SELECT COUNT(*) FROM messages`); after != before {
		t.Fatalf("messages %d -> %d", before, after)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM outbox WHERE message_id IS NOT NULL`); n != 1 {
		t.Fatalf("outbox items = %d", n)
	}
}

func TestQueueOutboundWeb(t *testing.T) { eachBackend(t, testQueueOutboundWeb) }

func testQueueOutboundWeb(t *testing.T, s *SQL) {
	ctx := context.Background()
	res, _ := s.RecordExchange(ctx, Exchange{Channel: ChannelWeb, Address: "sess-1", Body: "hello", At: t0})
	m, err := s.QueueOutbound(ctx, res.Conversation.ID, AuthorBot, "Hi!")
	if err != nil || m.Status != MsgSent {
		t.Fatalf("%+v, %v", m, err)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM outbox`); n != 0 {
		t.Fatalf("web message queued for SMS: %d", n)
	}
	if _, err := s.QueueOutbound(ctx, 999, AuthorBot, "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing conversation: %v", err)
	}
	if err := s.SetConversationName(ctx, res.Conversation.ID, "Maria"); err != nil {
		t.Fatal(err)
	}
	c, _ := s.ConversationByID(ctx, res.Conversation.ID)
	if c.Name != "Maria" {
		t.Fatalf("name = %q", c.Name)
	}
}

func TestPurge(t *testing.T) { eachBackend(t, testPurge) }

func testPurge(t *testing.T, s *SQL) {
	ctx := context.Background()
	old := escalate(t, s, "+15550000020", KindBooking, PriorityNormal, t0)
	// The old conversation's alerts are delivered; its data can go.
	items, _ := s.ClaimOutbox(ctx, t0, 10, time.Minute)
	for _, it := range items {
		s.OutboxSent(ctx, it.ID, "")
	}
	// An old conversation with an alert still pending is kept.
	stuck := escalate(t, s, "+15550000021", KindBooking, PriorityNormal, t0)
	recent := escalate(t, s, "+15550000022", KindBooking, PriorityNormal, t0.Add(400*24*time.Hour))
	if _, err := s.AddNote(ctx, old.Escalation.ID, 1, "Ana", "old note"); err != nil {
		t.Fatal(err)
	}
	// The note is activity now (the store's clock, t0); purge relative to a later cut-off.
	cut := t0.Add(time.Hour)
	n, err := s.Purge(ctx, cut)
	if err != nil || n != 1 {
		t.Fatalf("purged %d, %v; want 1", n, err)
	}
	if _, err := s.ConversationByID(ctx, old.Conversation.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old conversation kept: %v", err)
	}
	if _, err := s.ConversationByID(ctx, stuck.Conversation.ID); err != nil {
		t.Fatalf("conversation with pending alerts purged: %v", err)
	}
	if _, err := s.ConversationByID(ctx, recent.Conversation.ID); err != nil {
		t.Fatalf("recent conversation purged: %v", err)
	}
	for table, want := range map[string]int{"messages": 4, "escalations": 2, "events": 2, "outbox": 2} {
		if got := count(t, s, `SELECT COUNT(*) FROM `+table); got != want {
			t.Errorf("%s: %d rows, want %d", table, got, want)
		}
	}
	if n, _ := s.Purge(ctx, t0); n != 0 {
		t.Fatalf("second purge deleted %d", n)
	}
}
