// Package staff is the clinic's web console and JSON API for escalations:
// staff sign in at /staff, see the queue of open escalations (urgent first,
// then follow-ups the patient sent, then oldest; searchable, filtered,
// paged), open one to read the whole conversation and call the patient,
// claim it, reply to the patient by SMS (through the store's outbox), add
// internal notes, resolve and reopen it. Integrations use /api/v1 with
// bearer tokens. actions.go holds the actions and the one claim rule both
// follow.
//
// Everything is server-rendered from embedded html/template files with one
// embedded stylesheet and one small script; the Content-Security-Policy
// forbids inline script and style. Sessions are server-side (only the
// SHA-256 of the cookie's token is stored), every form carries a
// per-session CSRF token (and cross-site POSTs are refused), and sign-in
// failures are limited per address and account with growing delays. See
// Console for the routes.
package staff

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"github.com/flsps/faqbot/internal/ratelimit"
	"github.com/flsps/faqbot/internal/store"
)

// Options configure a Console.
type Options struct {
	Store         store.Store
	Log           *slog.Logger
	Location      *time.Location // clinic time zone for display; nil = UTC
	ClinicName    string
	SecureCookies bool
	SessionIdle   time.Duration // 0 = 2h
	// TrustProxy takes a request's client address from X-Forwarded-For
	// instead of the connection's peer, for the sign-in limit per address
	// and the audit log. Set it only behind a reverse proxy that sets or
	// appends that header (config.TrustProxy): otherwise clients could
	// choose their own address. The address used is the last one in the
	// header, the one the proxy added (see clientAddr).
	TrustProxy bool
	// CanSend reports whether staff replies can be delivered (Twilio REST
	// configured). nil = yes. When false, replies are refused with a clear
	// message instead of piling up in the outbox.
	CanSend func() bool
	// RepliesFile is the canned replies' YAML file (faq/replies.yaml);
	// "" = none. It is re-read when it changes.
	RepliesFile string
	// Wake is called after a reply is queued (wakes the outbox worker).
	Wake func()
	Now  func() time.Time // nil = time.Now

	// Report computes the analytics page (/staff/analytics, admins); nil =
	// the page says it is unavailable.
	Report ReportFunc
	// Changes subscribes to the store's change notices (store.SQL's
	// SubscribeChanges: on PostgreSQL they come from every replica), so
	// open consoles refresh whichever replica took the change. nil = only
	// Notify refreshes them.
	Changes func() (<-chan struct{}, func())
}

// Console serves the staff web console and the JSON API.
//
// Routes (all registered by Register):
//
//	GET  /staff                              inbox (?view=active|resolved|all, q, kind, urgent, mine, unclaimed, page)
//	GET  /staff/login, POST /staff/login     sign-in form
//	POST /staff/logout                       sign out
//	GET  /staff/events                       server-sent events: counts, change notices
//	GET  /staff/counts                       countsJSON (polling fallback)
//	GET  /staff/escalations/{id}             one escalation and its conversation
//	POST /staff/escalations/{id}/{claim|release|takeover|reply|note|resolve|reopen|name}
//	GET  /staff/audit                        audit log (admins)
//	GET  /staff/analytics[?since=30d]        analytics and unanswered questions (admins)
//	GET  /staff/static/{file}                embedded CSS and JS
//	GET  /api/v1/escalations[?status=open]   JSON API (Authorization: Bearer <token>)
//	GET  /api/v1/escalations/{id}
//	POST /api/v1/escalations/{id}/{claim|release|takeover|reply|note|resolve|reopen|name}
type Console struct {
	o    Options
	log  *slog.Logger
	loc  *time.Location
	idle time.Duration
	now  func() time.Time
	tpl  *templates
	hub  *hub
	// Sign-in limits count failures only, with growing delays: per address
	// and account together (so an attacker's failures elsewhere never lock
	// the owner out), and per address over all accounts (so one address
	// cannot try many accounts fast). See loginPost.
	failPair *ratelimit.Backoff
	failAddr *ratelimit.Backoff

	replies *repliesFile

	dummyOnce sync.Once
	dummyHash []byte // compared against for unknown accounts (equal timing)
}

// New builds a Console. It panics if the embedded templates do not parse
// (a build defect, caught by any test).
func New(o Options) *Console {
	c := &Console{o: o, log: o.Log, loc: o.Location, idle: o.SessionIdle, now: o.Now}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.loc == nil {
		c.loc = time.UTC
	}
	if c.idle <= 0 {
		c.idle = 2 * time.Hour
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.o.ClinicName == "" {
		c.o.ClinicName = "faqbot"
	}
	c.replies = &repliesFile{path: o.RepliesFile, log: c.log, now: c.now}
	c.tpl = mustTemplates(c)
	c.hub = newHub()
	if o.Changes != nil {
		ch, cancel := o.Changes()
		go func() {
			defer cancel()
			for {
				select {
				case _, ok := <-ch:
					if !ok {
						return
					}
					c.hub.notify()
				case <-c.hub.done:
					return
				}
			}
		}()
	}
	// An address gets 5 wrong passwords for an account, then waits 2 s,
	// 4 s, 8 s… up to 15 min between tries; over all accounts (a front
	// desk may share an address) 30, then the same delays. A success
	// clears the address and account's count; an hour without failures
	// clears either.
	c.failPair = ratelimit.NewBackoff(5, 2*time.Second, 15*time.Minute, time.Hour, 10000).WithClock(c.now)
	c.failAddr = ratelimit.NewBackoff(30, 2*time.Second, 15*time.Minute, time.Hour, 10000).WithClock(c.now)
	return c
}

// Register adds the console's and the API's routes to r.
func (c *Console) Register(r *mux.Router) {
	page := func(h http.Handler) http.Handler { return c.secure(h) }

	r.Handle("/staff/static/{file}", page(http.HandlerFunc(c.serveStatic))).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/staff/login", page(http.HandlerFunc(c.loginForm))).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/staff/login", page(http.HandlerFunc(c.loginPost))).Methods(http.MethodPost)
	r.Handle("/staff/logout", page(c.authed(c.logout, false))).Methods(http.MethodPost)
	r.Handle("/staff", page(c.authed(c.inbox, true))).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/staff/", page(http.RedirectHandler("/staff", http.StatusSeeOther))).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/staff/events", page(c.authed(c.events, false))).Methods(http.MethodGet)
	r.Handle("/staff/counts", page(c.authed(c.counts, false))).Methods(http.MethodGet)
	r.Handle("/staff/audit", page(c.authed(c.auditPage, true))).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/staff/analytics", page(c.authed(c.analyticsPage, true))).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/staff/escalations/{id:[0-9]+}", page(c.authed(c.escalationPage, true))).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/staff/escalations/{id:[0-9]+}/{action:claim|release|takeover|reply|note|resolve|reopen|name}",
		page(c.authed(c.escalationAction, true))).Methods(http.MethodPost)
	// Anything else under /staff: sign-in first, then a 404 page.
	r.PathPrefix("/staff/").Handler(page(c.authed(c.notFoundPage, false)))

	api := func(h apiHandler) http.Handler { return c.secure(c.apiAuth(h)) }
	r.Handle("/api/v1/escalations", api(c.apiList)).Methods(http.MethodGet)
	r.Handle("/api/v1/escalations/{id:[0-9]+}", api(c.apiGet)).Methods(http.MethodGet)
	r.Handle("/api/v1/escalations/{id:[0-9]+}/{action:claim|release|takeover|reply|note|resolve|reopen|name}", api(c.apiAction)).Methods(http.MethodPost)
	r.PathPrefix("/api/").Handler(api(c.apiNotFound))
}

// Notify tells open consoles that escalations or messages changed: each
// inbox re-reads its counts and list (server-sent events). Safe to call
// from any goroutine, cheap, never blocks.
func (c *Console) Notify() { c.hub.notify() }

// Close ends the open event streams (call before http.Server.Shutdown, or
// Shutdown waits for them until its context ends). Browsers reconnect to
// whichever server answers next.
func (c *Console) Close() { c.hub.close() }

// contentSecurityPolicy forbids inline script and style, framing, a
// <base> element and off-site form posts.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"

// secure adds the security headers every console and API response carries.
func (c *Console) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// remoteAddr is the request's peer address without the port.
func remoteAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// clientAddr is the address of the client a request came from: with
// TrustProxy, the address the proxy put in X-Forwarded-For, else (or when
// the header holds no valid address) the peer address.
//
// The proxy's entry is the last one: proxies such as nginx
// ($proxy_add_x_forwarded_for), HAProxy and Traefik append the peer they
// saw to whatever the client sent, so the entries before it are the
// client's own words. Taking the first would let anyone dodge the sign-in
// limit by sending a new X-Forwarded-For each time. (A proxy that replaces
// the header leaves one entry, the same either way.)
func (c *Console) clientAddr(r *http.Request) string {
	if c.o.TrustProxy {
		if a, ok := lastForwardedFor(r.Header.Values("X-Forwarded-For")); ok {
			return a
		}
	}
	return remoteAddr(r)
}

// lastForwardedFor is the last entry of X-Forwarded-For (over all its
// header lines) as a canonical IP address, if it is one. Entries may carry
// a port ("203.0.113.7:51234", "[2001:db8::1]:443").
func lastForwardedFor(lines []string) (string, bool) {
	if len(lines) == 0 {
		return "", false
	}
	last := lines[len(lines)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	last = strings.TrimSpace(last)
	if a, err := netip.ParseAddr(last); err == nil {
		return a.Unmap().WithZone("").String(), true
	}
	if ap, err := netip.ParseAddrPort(last); err == nil {
		return ap.Addr().Unmap().WithZone("").String(), true
	}
	return "", false
}

// sameOrigin is defence in depth beside the CSRF token: a POST the browser
// says comes from another site (Sec-Fetch-Site), or whose Origin names
// another host, is refused. Requests without these headers (older
// browsers, scripts) rely on the token alone. "Origin: null" is what
// browsers send under Referrer-Policy: no-referrer, so it is not proof of
// anything either way.
func (c *Console) sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	if c.o.TrustProxy {
		if fh := r.Header.Get("X-Forwarded-Host"); fh != "" && strings.EqualFold(u.Host, strings.TrimSpace(strings.Split(fh, ",")[0])) {
			return true
		}
	}
	return false
}

func (c *Console) canSend() bool { return c.o.CanSend == nil || c.o.CanSend() }

func (c *Console) wake() {
	if c.o.Wake != nil {
		c.o.Wake()
	}
}

// audit records an entry; a failure is logged, not shown (the action it
// records has already happened).
func (c *Console) audit(ctx context.Context, r *http.Request, actorID *int64, actor, action string, escID *int64, detail string) {
	e := store.AuditEntry{ActorID: actorID, ActorName: actor, Action: action, EscalationID: escID,
		Detail: detail, RemoteAddr: c.clientAddr(r)}
	if err := c.o.Store.Audit(context.WithoutCancel(ctx), e); err != nil {
		c.log.Error("staff: audit", "action", action, "err", err)
	}
}

func i64(v int64) *int64 { return &v }
