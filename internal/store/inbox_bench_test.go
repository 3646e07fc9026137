package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkInbox reads one inbox page (25 of 1,000 open escalations, each
// with a follow-up message), with and without a text search, as the staff
// console does on every page load and live refresh.
func BenchmarkInbox(b *testing.B) {
	ctx := context.Background()
	s, _ := open(b)
	s.SetClock(func() time.Time { return t0.Add(48 * time.Hour) })
	for i := 0; i < 1000; i++ {
		addr := fmt.Sprintf("+1561555%04d", i)
		at := t0.Add(time.Duration(i) * time.Minute)
		if _, err := s.RecordExchange(ctx, Exchange{Channel: ChannelSMS, Address: addr, ExternalID: fmt.Sprintf("SMa%d", i),
			Body: "can I book a consult", Intent: KindBooking, Escalate: &NewEscalation{Kind: KindBooking, Priority: PriorityNormal},
			Reply: "ok", At: at}); err != nil {
			b.Fatal(err)
		}
		if _, err := s.RecordExchange(ctx, Exchange{Channel: ChannelSMS, Address: addr, ExternalID: fmt.Sprintf("SMb%d", i),
			Body: fmt.Sprintf("any news? ref %d", i), At: at.Add(time.Minute)}); err != nil {
			b.Fatal(err)
		}
	}
	for _, bc := range []struct {
		name string
		q    InboxQuery
	}{
		{"page", InboxQuery{Status: []string{EscOpen, EscClaimed}, Reader: 1, Limit: 25}},
		{"search", InboxQuery{Status: []string{EscOpen, EscClaimed}, Reader: 1, Limit: 25, Text: "ref 999"}},
		{"counts", InboxQuery{}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if bc.name == "counts" {
					_, err = s.QueueCounts(ctx, 1)
				} else {
					_, _, err = s.Inbox(ctx, bc.q)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
