package store

import (
	"context"
	"testing"
	"time"
)

func TestDecisionsRecordTheFAQVersion(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	for i, ex := range []Exchange{
		{Body: "how long does it last", Intent: "faq", FAQID: "botox-duration", Confidence: 0.9, FAQVersion: "aaa111", At: t0},
		{Body: "do you take medicare", Intent: "unknown", FAQVersion: "bbb222", At: t0.Add(time.Hour)},
		{Body: "too late", Intent: "unknown", FAQVersion: "bbb222", At: t0.Add(48 * time.Hour)},
	} {
		ex.Channel, ex.Address, ex.ExternalID = ChannelSMS, "+15551230002", "SMv"+string(rune('0'+i))
		if _, err := s.RecordExchange(ctx, ex); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Decisions(ctx, t0, t0.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].FAQVersion != "aaa111" || got[0].FAQID != "botox-duration" || !got[0].At.Equal(t0) ||
		got[1].FAQVersion != "bbb222" || got[1].Intent != "unknown" || got[1].Body != "do you take medicare" {
		t.Fatalf("Decisions = %+v", got)
	}
}

func TestEscalationStatsFirstStaffReply(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	now := t0
	s.SetClock(func() time.Time { return now })
	replied := escalate(t, s, "+15550000020", KindBooking, PriorityNormal, t0)
	escalate(t, s, "+15550000021", KindUnknown, PriorityNormal, t0.Add(time.Minute))
	now = t0.Add(25 * time.Minute)
	if _, err := s.QueueStaffReply(ctx, replied.Escalation.ID, 1, "Ana", "Hi, this is Ana."); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ResolveEscalation(ctx, replied.Escalation.ID, 1, "Ana", OutcomeBooked, ""); err != nil {
		t.Fatal(err)
	}
	got, err := s.EscalationStats(ctx, t0.Add(-time.Hour), t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("EscalationStats = %+v", got)
	}
	if got[0].Kind != KindBooking || got[0].Outcome != OutcomeBooked || got[0].FirstStaffReply == nil ||
		got[0].FirstStaffReply.Sub(got[0].CreatedAt) != 25*time.Minute {
		t.Fatalf("replied escalation = %+v", got[0])
	}
	if got[1].Kind != KindUnknown || got[1].FirstStaffReply != nil || got[1].Status != EscOpen {
		t.Fatalf("waiting escalation = %+v", got[1])
	}
}
