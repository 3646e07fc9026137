package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func inboxIDs(t *testing.T, s *SQL, q InboxQuery) ([]int64, int) {
	t.Helper()
	list, total, err := s.Inbox(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, it := range list {
		ids = append(ids, it.ID)
	}
	return ids, total
}

// A patient's follow-up bumps the escalation above older ones, is unread
// for a staff member until they look, and stops counting as "replied" once
// staff answer.
func TestInboxFollowUpBumpsAndIsUnread(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	now := t0.Add(2 * time.Minute)
	s.SetClock(func() time.Time { return now })
	u, err := s.CreateStaff(ctx, "ana@example.com", "Ana", "x", false)
	if err != nil {
		t.Fatal(err)
	}
	a := escalate(t, s, "+15550000001", KindBooking, PriorityNormal, t0)
	b := escalate(t, s, "+15550000002", KindHuman, PriorityNormal, t0.Add(time.Minute))
	ids, total := inboxIDs(t, s, InboxQuery{Status: []string{EscOpen, EscClaimed}, Reader: u.ID})
	if fmt.Sprint(ids) != fmt.Sprint([]int64{a.Escalation.ID, b.Escalation.ID}) || total != 2 {
		t.Fatalf("before: %v (%d)", ids, total)
	}
	if _, err := s.RecordExchange(ctx, Exchange{Channel: ChannelSMS, Address: "+15550000002", ExternalID: "SMfollow1",
		Body: "are you there?", At: t0.Add(5 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	list, _, err := s.Inbox(ctx, InboxQuery{Status: []string{EscOpen, EscClaimed}, Reader: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	if list[0].ID != b.Escalation.ID || !list[0].PatientReplied() || !list[0].Unread() || list[0].NewMessages != 1 {
		t.Fatalf("after follow-up: first %+v", list[0])
	}
	if list[1].Unread() || list[1].PatientReplied() {
		t.Fatalf("untouched escalation marked: %+v", list[1])
	}
	now = t0.Add(6 * time.Minute)
	if err := s.MarkSeen(ctx, b.Escalation.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSeen(ctx, b.Escalation.ID, u.ID); err != nil { // upsert
		t.Fatal(err)
	}
	list, _, _ = s.Inbox(ctx, InboxQuery{Status: []string{EscOpen, EscClaimed}, Reader: u.ID})
	if list[0].Unread() || !list[0].PatientReplied() {
		t.Fatalf("after a look: %+v", list[0])
	}
	now = t0.Add(7 * time.Minute)
	if _, err := s.QueueStaffReply(ctx, b.Escalation.ID, u.ID, "Ana", "yes, here"); err != nil {
		t.Fatal(err)
	}
	list, _, _ = s.Inbox(ctx, InboxQuery{Status: []string{EscOpen, EscClaimed}, Reader: u.ID})
	if list[0].ID != a.Escalation.ID || list[1].PatientReplied() {
		t.Fatalf("after the staff reply: %v %+v", list[0].ID, list[1])
	}
}

func TestInboxFiltersSearchAndPages(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	s.SetClock(func() time.Time { return t0.Add(time.Hour) })
	a := escalate(t, s, "+15615550145", KindBooking, PriorityNormal, t0)
	b := escalate(t, s, "+15615550177", KindEmergency, PriorityUrgent, t0.Add(time.Minute))
	c := escalate(t, s, "+15615550188", KindUnknown, PriorityNormal, t0.Add(2*time.Minute))
	if err := s.SetConversationName(ctx, c.Conversation.ID, "Margaret Collins"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimEscalation(ctx, a.Escalation.ID, 7, "Ana"); err != nil {
		t.Fatal(err)
	}
	active := []string{EscOpen, EscClaimed}
	for _, tc := range []struct {
		q    InboxQuery
		want []int64
	}{
		{InboxQuery{Status: active}, []int64{b.Escalation.ID, a.Escalation.ID, c.Escalation.ID}},
		{InboxQuery{Status: active, Text: "0145"}, []int64{a.Escalation.ID}},
		{InboxQuery{Status: active, Text: "(561) 555-0177"}, []int64{b.Escalation.ID}},
		{InboxQuery{Status: active, Text: "margaret"}, []int64{c.Escalation.ID}},
		{InboxQuery{Status: active, Text: "EMERGENCY please"}, []int64{b.Escalation.ID}},
		{InboxQuery{Status: active, Text: "100%_"}, nil},
		{InboxQuery{Status: active, Kind: KindUnknown}, []int64{c.Escalation.ID}},
		{InboxQuery{Status: active, Urgent: true}, []int64{b.Escalation.ID}},
		{InboxQuery{Status: active, ClaimedBy: 7}, []int64{a.Escalation.ID}},
		{InboxQuery{Status: active, Unclaimed: true}, []int64{b.Escalation.ID, c.Escalation.ID}},
		{InboxQuery{Status: active, Limit: 2}, []int64{b.Escalation.ID, a.Escalation.ID}},
		{InboxQuery{Status: active, Limit: 2, Offset: 2}, []int64{c.Escalation.ID}},
	} {
		ids, total := inboxIDs(t, s, tc.q)
		if fmt.Sprint(ids) != fmt.Sprint(tc.want) {
			t.Errorf("%+v: %v, want %v", tc.q, ids, tc.want)
		}
		if tc.q.Limit == 0 && total != len(tc.want) || tc.q.Limit > 0 && total != 3 {
			t.Errorf("%+v: total %d", tc.q, total)
		}
	}
	// The urgent count stays while the emergency is claimed, until resolved.
	if _, err := s.ClaimEscalation(ctx, b.Escalation.ID, 7, "Ana"); err != nil {
		t.Fatal(err)
	}
	n, err := s.QueueCounts(ctx, 7)
	if err != nil || n.Waiting != 1 || n.Urgent != 1 || n.Mine != 2 || n.LatestUrgent != b.Escalation.ID {
		t.Fatalf("counts %+v %v", n, err)
	}
	if _, err := s.ResolveEscalation(ctx, b.Escalation.ID, 7, "Ana", OutcomeOther, ""); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.QueueCounts(ctx, 7); n.Urgent != 0 || n.LatestUrgent != b.Escalation.ID {
		t.Fatalf("after resolve %+v", n)
	}
}

func TestDisablingStaffReleasesClaims(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	s.SetClock(func() time.Time { return t0.Add(time.Hour) })
	u, _ := s.CreateStaff(ctx, "ana@example.com", "Ana", "x", false)
	a := escalate(t, s, "+15550000001", KindBooking, PriorityNormal, t0)
	if _, err := s.ClaimEscalation(ctx, a.Escalation.ID, u.ID, "Ana"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetStaffDisabled(ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	e, _ := s.Escalation(ctx, a.Escalation.ID)
	if e.Status != EscOpen || e.ClaimedBy != nil {
		t.Fatalf("still claimed: %+v", e)
	}
	evs, _ := s.Events(ctx, a.Conversation.ID)
	last := evs[len(evs)-1]
	if last.Kind != EventReleased || last.Body != "account disabled" || last.ActorName != "Ana" {
		t.Fatalf("event %+v", last)
	}
}

func TestOptOutRecipientAndName(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	s.SetClock(func() time.Time { return t0.Add(time.Hour) })
	a := escalate(t, s, "whatsapp:+15550000001", KindBooking, PriorityNormal, t0)
	m, err := s.QueueStaffReply(ctx, a.Escalation.ID, 0, "api:x", "hello")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // the second is a no-op
		if err := s.OptOutRecipient(ctx, m.ID, "Twilio 21610"); err != nil {
			t.Fatal(err)
		}
	}
	conv, _ := s.ConversationByID(ctx, a.Conversation.ID)
	if !conv.OptedOut || conv.OptedOutAt == nil {
		t.Fatalf("not opted out: %+v", conv)
	}
	n := 0
	evs, _ := s.Events(ctx, conv.ID)
	for _, ev := range evs {
		if ev.Kind == EventOptedOut {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d opted_out events", n)
	}
	if ok, err := s.NameConversationIfUnnamed(ctx, conv.ID, "Zoë"); !ok || err != nil {
		t.Fatalf("name: %v %v", ok, err)
	}
	if ok, _ := s.NameConversationIfUnnamed(ctx, conv.ID, "Other"); ok {
		t.Fatal("a second name overrode the first")
	}
	items, err := s.ConversationOutbox(ctx, conv.ID)
	if err != nil || len(items) != 1 || *items[0].MessageID != m.ID {
		t.Fatalf("outbox %+v %v", items, err)
	}
}
