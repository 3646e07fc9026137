// Package server wires faqbot's HTTP service: the router (Twilio webhooks,
// web chat, staff console and API, health, metrics), the store, the engine and the
// background workers (outbox, spool replay, retention).
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/mux"
	"golang.org/x/time/rate"

	"github.com/flsps/faqbot/internal/bot"
	"github.com/flsps/faqbot/internal/chat"
	"github.com/flsps/faqbot/internal/config"
	"github.com/flsps/faqbot/internal/faq"
	"github.com/flsps/faqbot/internal/insight"
	"github.com/flsps/faqbot/internal/llm"
	"github.com/flsps/faqbot/internal/metrics"
	"github.com/flsps/faqbot/internal/notify"
	"github.com/flsps/faqbot/internal/outbox"
	"github.com/flsps/faqbot/internal/ratelimit"
	"github.com/flsps/faqbot/internal/reload"
	"github.com/flsps/faqbot/internal/sms"
	"github.com/flsps/faqbot/internal/staff"
	"github.com/flsps/faqbot/internal/store"
)

// Options configure New.
type Options struct {
	Config *config.Config
	Log    *slog.Logger     // nil = discard
	Now    func() time.Time // nil = time.Now
}

// Server is a running faqbot: handler plus workers.
type Server struct {
	cfg      *config.Config
	log      *slog.Logger
	store    *store.SQL
	reloader *reload.Reloader
	chat     *chat.Chat
	service  *bot.Service
	worker   *outbox.Worker
	spool    *bot.Spool
	console  *staff.Console
	metrics  *metrics.Metrics
	sender   *sms.Sender
	handler  http.Handler
}

// New opens the store and the FAQ and builds the handler. It does not start
// the workers: call Run.
func New(ctx context.Context, o Options) (*Server, error) {
	cfg := o.Config
	if cfg == nil {
		cfg = config.Defaults()
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	set, err := faq.Load(cfg.FAQDir)
	if err != nil {
		var le *faq.LoadError
		if errors.As(err, &le) {
			return nil, fmt.Errorf("the FAQ in %s does not load:\n%w", cfg.FAQDir, err)
		}
		return nil, err // names the directory
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create data directory: %w", err)
	}
	st, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return nil, err // names the store and the path
	}
	s := &Server{cfg: cfg, log: log, store: st, spool: &bot.Spool{Dir: filepath.Join(cfg.DataDir, "spool")}}
	s.metrics = metrics.New(func() (float64, float64) {
		c, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		p, f, err := st.OutboxStats(c)
		if err != nil {
			return -1, -1
		}
		return float64(p), float64(f)
	})

	if cfg.TwilioSendConfigured() {
		callback := ""
		if cfg.PublicURL != "" {
			callback = cfg.PublicURL + "/twilio/status"
		}
		s.sender, err = sms.NewSender(sms.SenderConfig{
			APIURL: cfg.TwilioAPIURL, AccountSID: cfg.TwilioAccountSID, AuthToken: cfg.TwilioAuthToken,
			From: cfg.TwilioFrom, StatusCallback: callback,
		})
		if err != nil {
			st.Close()
			return nil, err
		}
	} else if len(cfg.StaffNumbers) > 0 {
		log.Warn("FAQBOT_STAFF_NUMBERS is set but Twilio sending is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, FAQBOT_TWILIO_FROM): staff SMS alerts will fail")
	}

	s.worker = &outbox.Worker{Store: st, Log: log, Metrics: s.metrics, Now: now, Permanent: permanent,
		Unsubscribed: sms.IsUnsubscribed}
	if s.sender != nil {
		s.worker.SendSMS = s.sender.Send
	}
	if cfg.StaffWebhookURL != "" {
		// Keep a connection per delivery the worker runs at once: the
		// default transport keeps two, so four parallel alerts dialled (and
		// behind TLS, handshook) anew for every batch.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 2 * outbox.DefaultParallel
		client := &http.Client{Timeout: 10 * time.Second, Transport: tr}
		s.worker.PostWebhook = func(ctx context.Context, url, body string) error {
			return (&notify.Webhook{URL: url, Client: client}).PostJSON(ctx, json.RawMessage(body))
		}
	}

	s.console = staff.New(staff.Options{
		Store: st, Log: log, Location: set.Clinic.Location(), ClinicName: set.Clinic.Name,
		SecureCookies: cfg.SecureCookies(), SessionIdle: cfg.SessionIdle, TrustProxy: cfg.TrustProxy,
		CanSend: func() bool { return s.sender != nil }, Wake: s.wake, Now: now,
		RepliesFile: filepath.Join(cfg.FAQDir, "staff", "replies.yaml"),
		Report:      s.report,
		Changes:     st.SubscribeChanges,
	})

	s.worker.OnChange = s.console.Notify

	svc := bot.NewService(st, bot.NewEngine(set))
	svc.Log, svc.Metrics, svc.Now = log, s.metrics, now
	svc.HandoffTimeout = cfg.HandoffTimeout
	svc.Limiter = ratelimit.New(rate.Limit(float64(cfg.SenderRatePerMinute)/60), cfg.SenderBurst, 100_000)
	svc.Alerting = bot.Alerting{StaffNumbers: cfg.StaffNumbers, WebhookURL: cfg.StaffWebhookURL,
		IncludeMessage: cfg.AlertIncludeMessage, InboxURL: cfg.PublicURL}
	// Consoles hear of stored messages through the store's change notices
	// (from every replica); the outbox worker is woken only when alerts were
	// queued, so it does not contend for the writer after every message.
	svc.Enqueued = s.worker.Wake
	svc.LLM = llm.FromSettings(cfg, log, s.metrics)
	if svc.LLM != nil {
		log.Info("LLM on: answers are fact-checked before they are sent", "base_url", cfg.LLMBaseURL, "model", cfg.LLMModel,
			"phrasing", svc.LLM.PhrasingOn(), "assist", svc.LLM.AssistOn(), "timeout", cfg.LLMTimeout)
	}
	s.service = svc

	// Live reload: a good edit of the FAQ answers the next message; a
	// broken one leaves the last good FAQ serving (see package reload).
	s.reloader = reload.New(cfg.FAQDir, set, func(set *faq.Set) { svc.SetEngine(bot.NewEngine(set)) }, bot.LintAlternates)
	s.reloader.Log, s.reloader.Now = log, now
	if err := s.reloader.Register(s.metrics.Registry); err != nil {
		st.Close()
		return nil, fmt.Errorf("register reload metrics: %w", err)
	}

	// A chat session may send as much as one texting patient
	// (FAQBOT_SENDER_RATE/BURST); the chat says so with a 429 and a reason
	// rather than leaving the bot silent.
	s.chat = chat.New(chat.Options{
		Service: svc, Store: st, Spool: s.spool, Origins: cfg.ChatOrigins, PublicURL: cfg.PublicURL,
		TrustProxy: cfg.TrustProxy, ClinicName: set.Clinic.Name, Log: log, Metrics: s.metrics, Now: now,
		SessionLimiter: ratelimit.New(rate.Limit(float64(cfg.SenderRatePerMinute)/60), cfg.SenderBurst, 100_000),
	})

	if cfg.InsecureSkipSignature {
		log.Warn("!!! Twilio signature checking is OFF (--insecure-skip-signature): anyone can post fake patient messages. Use only for local trials.")
	} else if cfg.TwilioAuthToken == "" {
		log.Warn("TWILIO_AUTH_TOKEN is not set: /twilio/sms answers 503 until it is (or start with --insecure-skip-signature for a local trial)")
	}
	hook := &sms.Webhook{
		Service: svc, Store: st, Spool: s.spool, Metrics: s.metrics, Log: log,
		Verifier:   &sms.Verifier{AuthToken: cfg.TwilioAuthToken, PublicURL: cfg.PublicURL, TrustProxy: cfg.TrustProxy},
		SkipVerify: cfg.InsecureSkipSignature, OnStatus: s.console.Notify,
	}

	if users, err := st.ListStaff(ctx); err == nil && len(users) == 0 {
		log.Info("no staff accounts yet: create the first with `faqbot staff add --email you@example.com --name You --admin`")
	}

	r := mux.NewRouter()
	r.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	}).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/readyz", s.readyz).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/metrics", s.metrics.Handler()).Methods(http.MethodGet)
	r.Handle("/twilio/sms", hook.InboundHandler()).Methods(http.MethodPost)
	r.Handle("/twilio/status", hook.StatusHandler()).Methods(http.MethodPost)
	s.chat.Register(r) // the chat API, /chat/widget.js and the demo page at /
	s.console.Register(r)
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/chat/") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintln(w, `{"error":"no such endpoint"}`)
			return
		}
		http.Error(w, "404 page not found", http.StatusNotFound)
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	})
	s.handler = recoverPanics(log)(accessLog(log)(r))
	return s, nil
}

// report builds the analytics page's report against the FAQ serving now.
func (s *Server) report(ctx context.Context, from, to time.Time) (*insight.Report, error) {
	set := s.service.Engine().Set()
	return insight.Build(ctx, s.store, set, set.Clinic.Location(), from, to, 0)
}

// wake is called after something was stored that may need delivering: the
// outbox sends texts, open chat widgets pick up staff replies.
func (s *Server) wake() {
	s.worker.Wake()
	if s.chat != nil {
		s.chat.Notify()
	}
}

// permanent reports errors no retry will fix, from either sender.
func permanent(err error) bool {
	return sms.IsPermanent(err) || notify.IsPermanent(err)
}

// Handler is the HTTP handler with every route.
func (s *Server) Handler() http.Handler { return s.handler }

// Store is the server's store (tests and commands use it).
func (s *Server) Store() store.Store { return s.store }

// Service is the conversation service.
func (s *Server) Service() *bot.Service { return s.service }

// Outbox is the outbox worker.
func (s *Server) Outbox() *outbox.Worker { return s.worker }

// Console is the staff console.
func (s *Server) Console() *staff.Console { return s.console }

// ReloadFAQ reads the FAQ directory now, as SIGHUP does. The error lists the
// problems of a broken FAQ; the last good one keeps serving.
func (s *Server) ReloadFAQ() error { return s.reloader.Reload() }

// Metrics is the metrics set.
func (s *Server) Metrics() *metrics.Metrics { return s.metrics }

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	// A broken FAQ edit does not make the server unready: the last good
	// FAQ is serving. The problem shows in faq_error (and the metric
	// faqbot_faq_reload_failing) until a good save fixes it.
	type status struct {
		Ready bool   `json:"ready"`
		Store string `json:"store"`
		reload.Status
		Spooled int `json:"spooled"`
	}
	st := status{Ready: true, Store: "ok", Status: s.reloader.Status(), Spooled: s.spool.Len()}
	if err := s.store.Ping(ctx); err != nil {
		st.Ready, st.Store = false, "unreachable: "+err.Error()
	}
	w.Header().Set("Content-Type", "application/json")
	if !st.Ready {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(st)
}

// Run starts the background workers and blocks until ctx ends and they have
// drained.
func (s *Server) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { s.worker.Run(ctx) })
	wg.Go(func() { s.every(ctx, 10*time.Second, s.replaySpool) })
	wg.Go(func() { s.every(ctx, time.Hour, s.housekeeping) })
	wg.Go(func() {
		if err := s.reloader.Watch(ctx); err != nil {
			s.log.Warn("faq: not watching for changes (reload with SIGHUP)", "err", err)
		}
	})
	wg.Go(func() { s.reloadOnHangup(ctx) })
	wg.Wait()
}

// reloadOnHangup reloads the FAQ on every SIGHUP until ctx ends.
func (s *Server) reloadOnHangup(ctx context.Context) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			s.log.Info("faq: SIGHUP, reloading", "dir", s.cfg.FAQDir)
			_ = s.reloader.Reload()
		}
	}
}

func (s *Server) every(ctx context.Context, d time.Duration, f func(context.Context)) {
	f(ctx)
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f(ctx)
		}
	}
}

// replaySpool stores the messages that arrived while the store was down.
func (s *Server) replaySpool(ctx context.Context) {
	n, err := s.spool.Replay(ctx, func(ctx context.Context, in bot.Inbound) error {
		in.Curated = true // the engine's own reply has gone already
		_, err := s.service.Handle(ctx, in)
		return err
	})
	if n > 0 {
		s.log.Info("spool: stored messages that arrived while the store was down", "count", n)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		s.log.Warn("spool: replay will be retried", "err", err)
	}
}

// housekeeping deletes expired sessions and, with a retention setting, old
// conversations.
func (s *Server) housekeeping(ctx context.Context) {
	if _, err := s.store.DeleteExpiredSessions(ctx, time.Now()); err != nil && ctx.Err() == nil {
		s.log.Warn("housekeeping: sessions", "err", err)
	}
	if s.cfg.Retention > 0 {
		n, err := s.store.Purge(ctx, time.Now().Add(-s.cfg.Retention))
		if err != nil && ctx.Err() == nil {
			s.log.Warn("housekeeping: purge", "err", err)
		} else if n > 0 {
			s.log.Info("housekeeping: purged old conversations", "count", n)
		}
	}
}

// CloseStreams ends the staff console's and the chat's event streams, so an
// HTTP shutdown does not wait on them.
func (s *Server) CloseStreams() {
	s.console.Close()
	s.chat.Close()
}

// Close closes the store.
func (s *Server) Close() error { return s.store.Close() }
