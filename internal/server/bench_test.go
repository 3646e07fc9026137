package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/flsps/faqbot/internal/config"
	"github.com/flsps/faqbot/internal/twiliotest"
)

// benchMessages is a mix of what patients send: mostly questions the FAQ
// answers, some escalations.
var benchMessages = []string{
	"how long does botox last",
	"can i lay down after my botox",
	"does it help tmj",
	"is botox safe",
	"how much does botox cost",
	"i need to reschedule my appointment",
	"does it hurt",
	"cuanto dura el efecto del botox?",
}

// BenchmarkWebhook measures the whole inbound path in-process: form
// parsing, signature check, decision, the SQLite transaction (conversation,
// message, reply, escalation, alerts) and TwiML. Requests are signed in the
// loop too (about 2 µs of the total).
func BenchmarkWebhook(b *testing.B) {
	e := start(b, "", func(c *config.Config) { c.SenderBurst = 1 << 30 })
	h := e.srv.Handler()
	target := e.http.URL + "/twilio/sms"
	var n int
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		n++
		form := url.Values{"MessageSid": {fmt.Sprintf("SM%032d", n)}, "From": {fmt.Sprintf("+1561%07d", n%50000)},
			"To": {"+15615550100"}, "Body": {benchMessages[n%len(benchMessages)]}, "NumMedia": {"0"}}
		body, sig := twiliotest.SignedForm(authToken, target, form)
		req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", sig)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkWebhookParallel is the same path with concurrent requests (the
// SQLite writer is the shared resource).
func BenchmarkWebhookParallel(b *testing.B) { benchParallel(b, 1) }

// BenchmarkWebhook32 is the same with 16 requests per CPU in flight (32 on
// two cores), as under a burst: group commit batches them.
func BenchmarkWebhook32(b *testing.B) { benchParallel(b, 16) }

func benchParallel(b *testing.B, perCPU int) {
	e := start(b, "", func(c *config.Config) { c.SenderBurst = 1 << 30 })
	b.SetParallelism(perCPU)
	h := e.srv.Handler()
	target := e.http.URL + "/twilio/sms"
	var seq atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			form := url.Values{"MessageSid": {fmt.Sprintf("SM%032d", n)}, "From": {fmt.Sprintf("+1561%07d", n%50000)},
				"To": {"+15615550100"}, "Body": {benchMessages[n%int64(len(benchMessages))]}, "NumMedia": {"0"}}
			body, sig := twiliotest.SignedForm(authToken, target, form)
			req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body)).WithContext(context.Background())
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Twilio-Signature", sig)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Errorf("status %d: %s", rec.Code, rec.Body)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
