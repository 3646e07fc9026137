package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestChatContactAndTextCopy: a web-chat patient who left a number with
// consent gets staff replies in the chat and by text (status follows the
// text); the escalation carries the number; a number that opted out of
// texts gets only the chat copy; SMS conversations cannot take a chat
// contact.
func TestChatContactAndTextCopy(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	s.SetClock(func() time.Time { return t0 })
	res, err := s.RecordExchange(ctx, Exchange{Channel: ChannelWeb, Address: "3f2a", Body: "i want to book",
		Intent: "booking", Escalate: &NewEscalation{Kind: KindBooking, Priority: PriorityNormal}, At: t0})
	if err != nil {
		t.Fatal(err)
	}
	conv, esc := res.Conversation, res.Escalation

	// Before a contact: chat only.
	m, err := s.QueueStaffReply(ctx, esc.ID, 0, "Dana", "Hi from the chat")
	if err != nil || m.Status != MsgSent {
		t.Fatalf("chat-only reply: %+v %v", m, err)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM outbox`); n != 0 {
		t.Fatalf("a chat without a number queued %d texts", n)
	}

	const consent = "I agree to be texted about my request."
	got, err := s.SetChatContact(ctx, conv.ID, "Maria Lopez", "+15615550142", consent)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Maria Lopez" || got.ContactPhone != "+15615550142" || got.TextConsentAt == nil || !got.TextConsentAt.Equal(t0) {
		t.Fatalf("after contact: %+v", got)
	}
	if got.TextAddress() != "+15615550142" {
		t.Fatalf("TextAddress = %q", got.TextAddress())
	}
	evs, _ := s.Events(ctx, conv.ID)
	last := evs[len(evs)-1]
	if last.Kind != EventContact || !strings.Contains(last.Body, consent) || !strings.Contains(last.Body, "…0142") || strings.Contains(last.Body, "5615550142") {
		t.Fatalf("contact event: %+v", last)
	}
	e, _ := s.Escalation(ctx, esc.ID)
	if e.ContactPhone != "+15615550142" || e.PatientName != "Maria Lopez" {
		t.Fatalf("escalation does not carry the contact: %+v", e)
	}

	m, err = s.QueueStaffReply(ctx, esc.ID, 0, "Dana", "Tuesday at 3:30?")
	if err != nil || m.Status != MsgQueued {
		t.Fatalf("reply with a number: %+v %v", m, err)
	}
	items, _ := s.ClaimOutbox(ctx, t0, 10, 0)
	if len(items) != 1 || items[0].Target != "+15615550142" || items[0].Body != "Tuesday at 3:30?" || *items[0].MessageID != m.ID {
		t.Fatalf("text copy: %+v", items)
	}

	// The number texts STOP: staff replies stay in the chat only.
	if _, err := s.RecordExchange(ctx, Exchange{Channel: ChannelSMS, Address: "+15615550142", Body: "STOP",
		OptOut: ptr(true), At: t0}); err != nil {
		t.Fatal(err)
	}
	m, err = s.QueueStaffReply(ctx, esc.ID, 0, "Dana", "Still there?")
	if err != nil || m.Status != MsgSent {
		t.Fatalf("reply to an opted-out number: %+v %v", m, err)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM outbox`); n != 1 {
		t.Fatalf("texted an opted-out number: %d outbox items", n)
	}

	// Only web conversations take a chat contact; all three parts are needed.
	sms, _ := s.Conversation(ctx, ChannelSMS, "+15615550142")
	if _, err := s.SetChatContact(ctx, sms.ID, "X", "+15615550000", consent); !errors.Is(err, ErrNotFound) {
		t.Fatalf("contact on an SMS conversation: %v", err)
	}
	if _, err := s.SetChatContact(ctx, conv.ID, "Maria", "+15615550142", " "); err == nil {
		t.Fatal("contact without consent accepted")
	}
}
