package store

import (
	"context"
	"reflect"
	"testing"
	"time"
)

func TestInboundState(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *SQL) {
		ctx := context.Background()
		st, err := s.InboundState(ctx, ChannelSMS, "+15550007777", 30, t0)
		if err != nil || st.Conversation != nil || st.Active != nil || st.RecentReplies != 0 {
			t.Fatalf("unknown address: %+v, %v", st, err)
		}
		for i, body := range []string{"how long does it last", "i want to book", "thanks"} {
			ex := Exchange{Channel: ChannelSMS, Address: "+15550007777", Body: body, Reply: "reply " + body,
				At: t0.Add(time.Duration(i) * time.Minute)}
			if i == 1 {
				ex.Escalate = &NewEscalation{Kind: KindBooking, Priority: PriorityNormal}
			}
			if _, err := s.RecordExchange(ctx, ex); err != nil {
				t.Fatal(err)
			}
		}
		// The last 4 messages hold the replies at t0+1m and t0+2m; the one
		// at t0+1m is not after t0+1m.
		st, err = s.InboundState(ctx, ChannelSMS, "+15550007777", 4, t0.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if st.Conversation == nil || st.Conversation.Address != "+15550007777" {
			t.Fatalf("conversation: %+v", st.Conversation)
		}
		if st.Active == nil || st.Active.Kind != KindBooking || st.Active.MessageBody != "i want to book" {
			t.Fatalf("active escalation: %+v", st.Active)
		}
		if st.RecentReplies != 1 {
			t.Fatalf("recent replies after t0+1m among the last 4: %d, want 1", st.RecentReplies)
		}
		// One statement reads what the separate reads return.
		conv, _ := s.Conversation(ctx, ChannelSMS, "+15550007777")
		active, _ := s.ActiveEscalation(ctx, conv.ID)
		if !reflect.DeepEqual(st.Conversation, conv) || !reflect.DeepEqual(st.Active, active) {
			t.Fatalf("state = %+v / %+v\nwant %+v / %+v", st.Conversation, st.Active, conv, active)
		}
		ana, err := s.CreateStaff(ctx, "ana@example.com", "Ana", "x", false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ClaimEscalation(ctx, active.ID, ana.ID, "Ana"); err != nil {
			t.Fatal(err)
		}
		st, _ = s.InboundState(ctx, ChannelSMS, "+15550007777", 4, t0)
		active, _ = s.ActiveEscalation(ctx, conv.ID)
		if !reflect.DeepEqual(st.Active, active) || st.Active.ClaimedBy == nil {
			t.Fatalf("claimed: %+v, want %+v", st.Active, active)
		}
		if st, _ = s.InboundState(ctx, ChannelSMS, "+15550007777", 6, t0.Add(-time.Second)); st.RecentReplies != 3 {
			t.Fatalf("recent replies among the last 6: %d, want 3", st.RecentReplies)
		}
		if st, _ = s.InboundState(ctx, ChannelSMS, "+15550007777", 2, t0.Add(-time.Second)); st.RecentReplies != 1 {
			t.Fatalf("recent replies among the last 2: %d, want 1", st.RecentReplies)
		}
	})
}

// Many messages at once on a fresh store: no read waits for a connection
// another read holds while preparing its statement.
func TestInboundStateConcurrentColdCache(t *testing.T) {
	s, _ := open(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := s.RecordExchange(ctx, Exchange{Channel: ChannelSMS, Address: "+15550008888", Body: "hi", At: t0}); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 64)
	for range 64 {
		go func() {
			_, err := s.InboundState(ctx, ChannelSMS, "+15550008888", 30, t0)
			errs <- err
		}()
	}
	for range 64 {
		select {
		case err := <-errs:
			if err != nil {
				t.Fatal(err)
			}
		case <-ctx.Done():
			t.Fatal("concurrent reads are stuck")
		}
	}
}
