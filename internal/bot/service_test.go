package bot

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/flsps/faqbot/internal/store"
	"github.com/flsps/faqbot/internal/testclock"
)

// Another bot answering every reply (an auto-responder) gets loopReplies
// answers within loopWindow and then silence; once the window has passed,
// the bot answers again.
func TestServiceGoesQuietWhenAnotherBotAnswers(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "faqbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clock := testclock.New(testclock.Epoch())
	st.SetClock(clock.Now)
	svc := NewService(st, clinicEngine(t))
	svc.Now = clock.Now
	svc.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	send := func(i int) Outcome {
		t.Helper()
		out, err := svc.Handle(ctx, Inbound{Channel: store.ChannelSMS, Address: "+15615550177",
			ExternalID: fmt.Sprintf("SMloop%04d", i), Body: "Thank you for your message. We will get back to you shortly."})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for i := range loopReplies {
		if out := send(i); out.Reply == "" {
			t.Fatalf("message %d: silent (%s) before %d replies", i, out.Silent, loopReplies)
		}
		clock.Advance(20 * time.Second)
	}
	if out := send(loopReplies); out.Reply != "" || out.Silent != SilentLoop {
		t.Fatalf("after %d replies in %v: reply %q, silent %q; want silence", loopReplies, loopWindow, out.Reply, out.Silent)
	}
	clock.Advance(loopWindow)
	if out := send(loopReplies + 1); out.Reply == "" {
		t.Fatalf("after the window: still silent (%s)", out.Silent)
	}
}
