// Package metrics defines faqbot's Prometheus metrics on a registry of their
// own, so several servers (tests) can live in one process.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is the set the server updates.
type Metrics struct {
	Registry          *prometheus.Registry
	Messages          *prometheus.CounterVec // by channel and intent
	Escalations       *prometheus.CounterVec // by kind
	OutboxFailures    *prometheus.CounterVec // by kind and reason (retry, permanent)
	OutboxSent        *prometheus.CounterVec // by kind
	WebhookLatency    *prometheus.HistogramVec
	SignatureFailures prometheus.Counter
	Rejected          *prometheus.CounterVec // inbound requests refused, by reason
	LLMCalls          *prometheus.CounterVec // by kind (phrase, assist) and outcome (ok, error, timeout)
	LLMLatency        *prometheus.HistogramVec
	LLMFallbacks      *prometheus.CounterVec // curated text sent instead, by reason
}

// New registers the metrics. outboxDepth is called at scrape time and returns
// the number of pending and permanently failed outbox items.
func New(outboxDepth func() (pending, failed float64)) *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		Messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "faqbot_messages_total", Help: "Inbound patient messages by channel and decided intent.",
		}, []string{"channel", "intent"}),
		Escalations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "faqbot_escalations_total", Help: "Escalations created, by kind.",
		}, []string{"kind"}),
		OutboxFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "faqbot_outbox_failures_total", Help: "Outbox send failures by kind and outcome (retry or permanent).",
		}, []string{"kind", "outcome"}),
		OutboxSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "faqbot_outbox_sent_total", Help: "Outbox items delivered, by kind.",
		}, []string{"kind"}),
		WebhookLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "faqbot_webhook_duration_seconds", Help: "Time to answer Twilio webhooks.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		SignatureFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "faqbot_signature_failures_total", Help: "Webhook requests refused for a missing or wrong X-Twilio-Signature.",
		}),
		Rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "faqbot_inbound_rejected_total", Help: "Inbound messages not answered normally, by reason.",
		}, []string{"reason"}),
		LLMCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "faqbot_llm_calls_total", Help: "Calls to the optional LLM by kind (phrase, assist) and outcome (ok, error, timeout).",
		}, []string{"kind", "outcome"}),
		LLMLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "faqbot_llm_call_duration_seconds", Help: "Time of LLM calls, by kind.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2, 3, 5, 8},
		}, []string{"kind"}),
		LLMFallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "faqbot_llm_fallbacks_total", Help: "LLM steps that fell back to the curated text or the engine's decision, by reason.",
		}, []string{"reason"}),
	}
	r.MustRegister(m.Messages, m.Escalations, m.OutboxFailures, m.OutboxSent, m.WebhookLatency, m.SignatureFailures, m.Rejected,
		m.LLMCalls, m.LLMLatency, m.LLMFallbacks,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if outboxDepth != nil {
		r.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "faqbot_outbox_pending", Help: "Outbox items waiting to be sent.",
		}, func() float64 { p, _ := outboxDepth(); return p }))
		r.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "faqbot_outbox_failed", Help: "Outbox items that failed for good.",
		}, func() float64 { _, f := outboxDepth(); return f }))
	}
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}
