// Package server wires faqbot's HTTP service: the router (Twilio webhooks,
// staff console and API, health, metrics), the store, the engine and the
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
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"
	"golang.org/x/time/rate"

	"github.com/flsps/faqbot/internal/bot"
	"github.com/flsps/faqbot/internal/config"
	"github.com/flsps/faqbot/internal/faq"
	"github.com/flsps/faqbot/internal/metrics"
	"github.com/flsps/faqbot/internal/notify"
	"github.com/flsps/faqbot/internal/outbox"
	"github.com/flsps/faqbot/internal/ratelimit"
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
	cfg     *config.Config
	log     *slog.Logger
	store   *store.SQL
	set     *faq.Set
	service *bot.Service
	worker  *outbox.Worker
	spool   *bot.Spool
	console *staff.Console
	metrics *metrics.Metrics
	sender  *sms.Sender
	handler http.Handler
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
		return nil, fmt.Errorf("FAQ in %s: %w", cfg.FAQDir, err)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	st, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	s := &Server{cfg: cfg, log: log, store: st, set: set, spool: &bot.Spool{Dir: filepath.Join(cfg.DataDir, "spool")}}
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

	s.worker = &outbox.Worker{Store: st, Log: log, Metrics: s.metrics, Now: now, Permanent: permanent}
	if s.sender != nil {
		s.worker.SendSMS = s.sender.Send
	}
	if cfg.StaffWebhookURL != "" {
		client := &http.Client{Timeout: 10 * time.Second}
		s.worker.PostWebhook = func(ctx context.Context, url, body string) error {
			return (&notify.Webhook{URL: url, Client: client}).PostJSON(ctx, json.RawMessage(body))
		}
	}

	s.console = staff.New(staff.Options{
		Store: st, Log: log, Location: set.Clinic.Location(), ClinicName: set.Clinic.Name,
		SecureCookies: cfg.SecureCookies(), SessionIdle: cfg.SessionIdle, TrustProxy: cfg.TrustProxy,
		CanSend: func() bool { return s.sender != nil }, Wake: s.worker.Wake, Now: now,
		Changes: st.SubscribeChanges,
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
	s.service = svc

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
	r.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/staff", http.StatusSeeOther)
	}).Methods(http.MethodGet)
	s.console.Register(r)
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
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

// Metrics is the metrics set.
func (s *Server) Metrics() *metrics.Metrics { return s.metrics }

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	type status struct {
		Ready      bool   `json:"ready"`
		Store      string `json:"store"`
		FAQVersion string `json:"faq_version"`
		FAQEntries int    `json:"faq_entries"`
		Spooled    int    `json:"spooled"`
	}
	st := status{Ready: true, Store: "ok", FAQVersion: s.set.Version, FAQEntries: len(s.set.Entries), Spooled: s.spool.Len()}
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
	wg.Wait()
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

// CloseStreams ends the staff console's event streams, so an HTTP shutdown
// does not wait on them.
func (s *Server) CloseStreams() { s.console.Close() }

// Close closes the store.
func (s *Server) Close() error { return s.store.Close() }
