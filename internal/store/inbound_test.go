package store

import (
	"context"
	"testing"
	"time"
)

func TestInboundState(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *SQL) {
		ctx := context.Background()
		st, err := s.InboundState(ctx, ChannelSMS, "+15550007777", 30)
		if err != nil || st.Conversation != nil || st.Active != nil || st.Recent != nil {
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
		st, err = s.InboundState(ctx, ChannelSMS, "+15550007777", 4)
		if err != nil {
			t.Fatal(err)
		}
		if st.Conversation == nil || st.Conversation.Address != "+15550007777" {
			t.Fatalf("conversation: %+v", st.Conversation)
		}
		if st.Active == nil || st.Active.Kind != KindBooking || st.Active.MessageBody != "i want to book" {
			t.Fatalf("active escalation: %+v", st.Active)
		}
		var got []string
		for _, m := range st.Recent {
			got = append(got, m.Body)
		}
		want := []string{"i want to book", "reply i want to book", "thanks", "reply thanks"}
		if len(got) != len(want) {
			t.Fatalf("recent: %q, want %q", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("recent: %q, want %q", got, want)
			}
		}
	})
}

// Many messages at once on a fresh store: reading inside a transaction
// never waits for a connection another reader's transaction holds (the
// statements are prepared outside them).
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
			_, err := s.InboundState(ctx, ChannelSMS, "+15550008888", 30)
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
