// Package chat is the web-chat channel: the JSON API behind the website
// widget (/chat/v1/...), the widget script (/chat/widget.js) and a demo page
// that shows it on a mock clinic page. It knows no matching: every patient
// message goes through bot.Service, as SMS does, and is stored as a
// conversation on channel "web" whose address is a hash of the session.
//
// Sessions are anonymous: a random id the server issues on the first
// message, which the widget keeps for the browser tab and which is the only
// key to the session's history (the store holds only its hash). Embedding
// origins are checked (CORS) against FAQBOT_CHAT_ORIGINS plus the server's
// own origin; each session and each client address is rate limited; bodies
// are bounded and validated, and every refusal is a 4xx with a plain JSON
// {"error": "..."}.
package chat

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"golang.org/x/time/rate"

	"github.com/flsps/faqbot/internal/bot"
	"github.com/flsps/faqbot/internal/metrics"
	"github.com/flsps/faqbot/internal/ratelimit"
	"github.com/flsps/faqbot/internal/store"
)

// Options configure New.
type Options struct {
	Service *bot.Service
	Store   store.Store
	Spool   *bot.Spool // where messages go when the store is down; nil = none
	// Origins are the web origins allowed to embed the widget
	// (FAQBOT_CHAT_ORIGINS; "*" = any). The server's own origin (PublicURL,
	// or the request's Host) always is.
	Origins    []string
	PublicURL  string
	TrustProxy bool // take the client address from X-Forwarded-For
	ClinicName string
	// SessionLimiter bounds the messages of one session, AddressLimiter the
	// messages from one client address (all its sessions), ReadLimiter the
	// history reads and event streams from one address. Nil: defaults.
	SessionLimiter, AddressLimiter, ReadLimiter *ratelimit.Limiter
	// Timeout bounds the work behind one reply (default 8 s).
	Timeout time.Duration
	Log     *slog.Logger
	Metrics *metrics.Metrics
	Now     func() time.Time
}

// Chat serves the web-chat channel.
type Chat struct {
	o        Options
	hub      *hub
	origins  map[string]bool
	any      bool
	widgetJS []byte
}

// startTime is the widget's Last-Modified: the program's start.
var startTime = time.Now()

// Default limits (per minute, burst) when Options leave a limiter nil. A
// session may send like one SMS patient; an address (a household, an
// office behind one NAT) several sessions' worth.
const (
	sessionPerMinute, sessionBurst = 10, 5
	addressPerMinute, addressBurst = 30, 15
	readPerMinute, readBurst       = 120, 40
)

// New returns the channel. It does nothing until Register mounts it.
func New(o Options) *Chat {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Timeout <= 0 {
		o.Timeout = 8 * time.Second
	}
	perMinute := func(n int) rate.Limit { return rate.Limit(float64(n) / 60) }
	if o.SessionLimiter == nil {
		o.SessionLimiter = ratelimit.New(perMinute(sessionPerMinute), sessionBurst, 0)
	}
	if o.AddressLimiter == nil {
		o.AddressLimiter = ratelimit.New(perMinute(addressPerMinute), addressBurst, 0)
	}
	if o.ReadLimiter == nil {
		o.ReadLimiter = ratelimit.New(perMinute(readPerMinute), readBurst, 0)
	}
	if o.ClinicName == "" {
		o.ClinicName = "the clinic"
	}
	c := &Chat{o: o, hub: newHub(), origins: map[string]bool{}}
	for _, org := range o.Origins {
		if org == "*" {
			c.any = true
		}
		c.origins[strings.ToLower(strings.TrimRight(org, "/"))] = true
	}
	c.widgetJS = c.widgetSource()
	if u, err := url.Parse(o.PublicURL); err == nil && u.Host != "" {
		c.origins[strings.ToLower(u.Scheme+"://"+u.Host)] = true
	}
	return c
}

// Register mounts the API, the widget script and the demo page (at /).
func (c *Chat) Register(r *mux.Router) {
	api := r.PathPrefix("/chat/v1").Subrouter()
	api.Use(c.cors)
	api.HandleFunc("/messages", c.postMessage).Methods(http.MethodPost)
	api.HandleFunc("/messages", c.history).Methods(http.MethodGet)
	api.HandleFunc("/contact", c.postContact).Methods(http.MethodPost)
	api.HandleFunc("/events", c.events).Methods(http.MethodGet)
	allow := map[string]string{"/chat/v1/messages": "GET, POST", "/chat/v1/contact": "POST", "/chat/v1/events": "GET"}
	api.PathPrefix("/").HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		methods, known := allow[r.URL.Path]
		switch {
		case r.Method == http.MethodOptions && known:
			w.WriteHeader(http.StatusNoContent) // a preflight cors has answered
		case known:
			w.Header().Set("Allow", methods)
			writeError(w, http.StatusMethodNotAllowed, r.URL.Path+" takes "+methods)
		default:
			writeError(w, http.StatusNotFound, "no such chat endpoint")
		}
	})
	r.HandleFunc("/chat/widget.js", c.widget).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/", c.demo).Methods(http.MethodGet, http.MethodHead)
}

// Notify tells open widgets that something may have changed (a staff reply
// was stored); each re-reads its own session.
func (c *Chat) Notify() { c.hub.notify() }

// Close ends the open event streams, so an HTTP shutdown does not wait on
// them.
func (c *Chat) Close() { c.hub.close() }

// cors answers preflights and refuses requests from origins that may not
// embed the widget. Requests without an Origin (curl, same-origin GETs)
// pass.
func (c *Chat) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		w.Header().Add("Vary", "Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		if !c.allowed(origin, r) {
			c.reject("bad_origin")
			writeError(w, http.StatusForbidden, "this website may not use the chat (its origin "+origin+" is not in FAQBOT_CHAT_ORIGINS)")
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "GET, POST")
			h.Set("Access-Control-Allow-Headers", "Content-Type")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// allowed reports whether a page on origin may call the API: a listed
// origin, any with "*", or the server's own (the public URL's, or the host
// the request came to, as the demo page is served from it).
func (c *Chat) allowed(origin string, r *http.Request) bool {
	o := strings.ToLower(origin)
	if c.any || c.origins[o] {
		return true
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" {
		return false
	}
	host := r.Host
	if c.o.TrustProxy {
		if fh := r.Header.Get("X-Forwarded-Host"); fh != "" {
			host = fh
		}
	}
	return strings.EqualFold(u.Host, host)
}

// clientAddr is the address rate limits key on: the last X-Forwarded-For
// entry behind a trusted proxy, else the connection's address (as the staff
// console's sign-in limits do).
func (c *Chat) clientAddr(r *http.Request) string {
	if c.o.TrustProxy {
		if vs := r.Header.Values("X-Forwarded-For"); len(vs) > 0 {
			last := vs[len(vs)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			last = strings.TrimSpace(last)
			if a, err := netip.ParseAddr(last); err == nil {
				return a.Unmap().WithZone("").String()
			}
			if ap, err := netip.ParseAddrPort(last); err == nil {
				return ap.Addr().Unmap().WithZone("").String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (c *Chat) reject(reason string) {
	if c.o.Metrics != nil {
		c.o.Metrics.Rejected.WithLabelValues("chat_" + reason).Inc()
	}
}

// Sessions: 24 random bytes, base64url (32 characters). The store keeps
// only address(session), so neither the database nor the logs hold the key
// to a session's history.

func newSession() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// validSession accepts what newSession makes (and any similar random id of
// 22 to 64 base64url characters).
func validSession(s string) bool {
	return validToken(s, 22, 64)
}

func validToken(s string, minLen, maxLen int) bool {
	if len(s) < minLen || len(s) > maxLen {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// address is the conversation address of a session: its SHA-256, 128 bits
// in hex.
func address(session string) string {
	sum := sha256.Sum256([]byte(session))
	return hex.EncodeToString(sum[:16])
}

// errorJSON is every refusal's body.
type errorJSON struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorJSON{Error: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
