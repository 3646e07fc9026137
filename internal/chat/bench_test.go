package chat_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"golang.org/x/time/rate"

	"github.com/flsps/faqbot/internal/bot"
	"github.com/flsps/faqbot/internal/chat"
	"github.com/flsps/faqbot/internal/faq"
	"github.com/flsps/faqbot/internal/ratelimit"
	"github.com/flsps/faqbot/internal/store"
)

// BenchmarkChatMessage is one widget message over real HTTP: JSON decode
// and checks, the decision, the SQLite transaction, the JSON answer. Each
// iteration is a new session's first question (limits off).
//
//	go test -run '^$' -bench ChatMessage -benchmem ./internal/chat/
func BenchmarkChatMessage(b *testing.B) {
	set, err := faq.Load(filepath.Join("..", "..", "faq"))
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.OpenDataDir(context.Background(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	svc := bot.NewService(st, bot.NewEngine(set))
	svc.Log = slog.New(slog.DiscardHandler)
	unlimited := func() *ratelimit.Limiter { return ratelimit.New(rate.Inf, 1, 0) }
	c := chat.New(chat.Options{Service: svc, Store: st, ClinicName: set.Clinic.Name,
		SessionLimiter: unlimited(), AddressLimiter: unlimited(), ReadLimiter: unlimited()})
	r := mux.NewRouter()
	c.Register(r)
	srv := httptest.NewServer(r)
	defer srv.Close()
	client := srv.Client()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		resp, err := client.Post(srv.URL+"/chat/v1/messages", "application/json", strings.NewReader(`{"text":"how long does botox last"}`))
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}
