package staff_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/flsps/faqbot/internal/staff"
)

// loginVia signs in with the given X-Forwarded-For lines (none = no
// header), as a request through a reverse proxy would arrive.
func (b *browser) loginVia(xff []string, email, pw string) page {
	b.t.Helper()
	form := b.get("/staff/login")
	body := url.Values{"csrf": {csrfOf(b.t, form)}, "email": {email}, "password": {pw}}
	req, _ := http.NewRequest(http.MethodPost, b.e.srv.URL+"/staff/login", strings.NewReader(body.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, v := range xff {
		req.Header.Add("X-Forwarded-For", v)
	}
	return b.do(req)
}

// guesses makes n accounts, so that the per-account limit stays out of the
// way, and returns a function that tries a wrong password for the next one
// and reports whether the attempt was refused to wait (429). An address
// gets 30 failures free; the 31st sets a wait, so the 32nd is refused.
func guesses(e *testEnv, n int) func(xff ...string) bool {
	for i := range n {
		e.addStaff(fmt.Sprintf("guess%d@clinic.example", i), "Guess", "right password", false)
	}
	b, next := e.client(), 0
	return func(xff ...string) bool {
		e.t.Helper()
		p := b.loginVia(xff, fmt.Sprintf("guess%d@clinic.example", next), "wrong password")
		next++
		switch p.status {
		case http.StatusTooManyRequests:
			return true
		case http.StatusUnauthorized:
			return false
		}
		e.t.Fatalf("sign-in attempt %d: status %d", next, p.status)
		return false
	}
}

// Behind a trusted proxy, each client has its own sign-in budget, keyed by
// the address the proxy reports, not the proxy's own.
func TestSignInRateLimitPerForwardedAddress(t *testing.T) {
	e := newEnv(t, func(o *staff.Options) { o.TrustProxy = true })
	e.advance(0) // stop the clock: the limiter refills with time
	try := guesses(e, 40)

	for i := range 31 {
		if try("203.0.113.7") {
			t.Fatalf("attempt %d from 203.0.113.7 limited, want 31 allowed", i+1)
		}
	}
	if !try("203.0.113.7") {
		t.Fatal("32nd attempt from 203.0.113.7 allowed")
	}
	// Another client behind the same proxy (the same peer address) is not
	// held up; an IPv6 client with a port in the header neither.
	if try("198.51.100.9") {
		t.Error("another client behind the proxy was limited")
	}
	if try("[2001:db8::1]:51234") {
		t.Error("an IPv6 client behind the proxy was limited")
	}
	// The proxy appends the peer it saw to what the client sent: a client
	// cannot pick its address by sending its own header, in one line or as
	// an earlier line.
	if !try("192.0.2.55, 203.0.113.7") {
		t.Error("a made-up first X-Forwarded-For entry escaped the limit")
	}
	if !try("192.0.2.56", "203.0.113.7") {
		t.Error("a made-up first X-Forwarded-For line escaped the limit")
	}
	// Without a usable header, the peer address counts (it has its own,
	// still full, budget here).
	if try() {
		t.Error("a request without X-Forwarded-For was limited")
	}
	if try("unknown") {
		t.Error("a request with a junk X-Forwarded-For was limited")
	}

	// The audit log records the client's address.
	entries, err := e.st.AuditLog(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, a := range entries {
		seen[a.RemoteAddr] = true
	}
	for _, want := range []string{"203.0.113.7", "198.51.100.9", "2001:db8::1", "127.0.0.1"} {
		if !seen[want] {
			t.Errorf("audit log lacks address %s: %v", want, seen)
		}
	}
	if seen["192.0.2.55"] || seen["192.0.2.56"] {
		t.Errorf("audit log took a client-supplied address: %v", seen)
	}
}

// Without TrustProxy the header is ignored: it cannot buy more attempts.
func TestSignInIgnoresForwardedForByDefault(t *testing.T) {
	e := newEnv(t)
	e.advance(0)
	try := guesses(e, 32)
	for i := range 31 {
		if try(fmt.Sprintf("203.0.113.%d", i)) {
			t.Fatalf("attempt %d limited, want 31 allowed", i+1)
		}
	}
	if !try("198.51.100.9") {
		t.Fatal("X-Forwarded-For escaped the limit without TrustProxy")
	}
	entries, err := e.st.AuditLog(context.Background(), 1)
	if err != nil || len(entries) != 1 || entries[0].RemoteAddr != "127.0.0.1" {
		t.Fatalf("audit address without TrustProxy: %+v %v", entries, err)
	}
}
