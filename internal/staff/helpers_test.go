package staff_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"golang.org/x/crypto/bcrypt"

	"github.com/flsps/faqbot/internal/staff"
	"github.com/flsps/faqbot/internal/store"
)

// testEnv is a console on a real SQLite store behind a real router and
// HTTP server.
type testEnv struct {
	t       *testing.T
	st      *store.SQL
	console *staff.Console
	srv     *httptest.Server
	canSend atomic.Bool
	wakes   atomic.Int32

	mu  sync.Mutex
	now time.Time // the console's clock; zero = real time
}

// newEnv starts a console; mutate adjusts its options.
func newEnv(t *testing.T, mutate ...func(*staff.Options)) *testEnv {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "faqbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{t: t, st: st}
	e.canSend.Store(true)
	o := staff.Options{
		Store: st, Location: ny, ClinicName: "Florida Spine and Pain Specialists",
		SessionIdle: 2 * time.Hour,
		CanSend:     e.canSend.Load,
		Wake:        func() { e.wakes.Add(1) },
		Now:         e.clock,
	}
	for _, m := range mutate {
		m(&o)
	}
	e.console = staff.New(o)
	r := mux.NewRouter()
	e.console.Register(r)
	e.srv = httptest.NewServer(r)
	t.Cleanup(func() {
		e.console.Close()
		e.srv.Close()
		st.Close()
	})
	return e
}

func (e *testEnv) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.now.IsZero() {
		return time.Now()
	}
	return e.now
}

func (e *testEnv) advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.now.IsZero() {
		e.now = time.Now()
	}
	e.now = e.now.Add(d)
}

func (e *testEnv) addStaff(email, name, pw string, admin bool) *store.StaffUser {
	e.t.Helper()
	// The console checks any bcrypt cost; the minimum keeps -race runs fast.
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		e.t.Fatal(err)
	}
	u, err := e.st.CreateStaff(context.Background(), email, name, string(h), admin)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

var sidCounter atomic.Int64

// escalate records an inbound text that escalates, as the webhook would.
func (e *testEnv) escalate(addr, body, kind, priority string) *store.Escalation {
	e.t.Helper()
	res, err := e.st.RecordExchange(context.Background(), store.Exchange{
		Channel: store.ChannelSMS, Address: addr, ExternalID: fmt.Sprintf("SM%032d", sidCounter.Add(1)),
		Body: body, Intent: kind,
		Escalate: &store.NewEscalation{Kind: kind, Priority: priority},
		Reply:    "Thanks! A member of our team will text you back shortly.",
	})
	if err != nil {
		e.t.Fatal(err)
	}
	if res.Escalation == nil {
		e.t.Fatal("no escalation created")
	}
	return res.Escalation
}

func (e *testEnv) optOut(addr string) {
	e.t.Helper()
	yes := true
	_, err := e.st.RecordExchange(context.Background(), store.Exchange{
		Channel: store.ChannelSMS, Address: addr, Body: "STOP", Intent: "stop", OptOut: &yes,
		Reply: "You're unsubscribed.",
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// browser is an HTTP client with cookies that does not follow redirects.
type browser struct {
	t   *testing.T
	e   *testEnv
	c   *http.Client
	jar *cookiejar.Jar
}

func (e *testEnv) client() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: e.t, e: e, jar: jar, c: &http.Client{
		Jar:           jar,
		Timeout:       20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.e.srv.URL+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, p page) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF field in page (status %d): %.300s", p.status, p.body)
	}
	return html.UnescapeString(m[1])
}

// login signs in and returns the response to the sign-in POST.
func (b *browser) login(email, pw string) page {
	b.t.Helper()
	form := b.get("/staff/login")
	return b.post("/staff/login", url.Values{"csrf": {csrfOf(b.t, form)}, "email": {email}, "password": {pw}})
}

func (b *browser) mustLogin(email, pw string) {
	b.t.Helper()
	p := b.login(email, pw)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/staff" {
		b.t.Fatalf("sign-in: status %d, Location %q: %.500s", p.status, p.header.Get("Location"), p.body)
	}
}

// act posts an escalation action with the CSRF token of its page.
func (b *browser) act(id int64, action string, form url.Values) page {
	b.t.Helper()
	pg := b.get("/staff/escalations/" + strconv.FormatInt(id, 10))
	if pg.status != http.StatusOK {
		b.t.Fatalf("escalation page: %d", pg.status)
	}
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", csrfOf(b.t, pg))
	return b.post("/staff/escalations/"+strconv.FormatInt(id, 10)+"/"+action, form)
}

// apiCall makes a JSON API request with a bearer token ("" = none).
func (e *testEnv) apiCall(method, path, token, body string) (int, map[string]any, []any) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		e.t.Fatalf("%s %s: Content-Type %q, body %s", method, path, ct, raw)
	}
	var obj map[string]any
	var arr []any
	if strings.HasPrefix(strings.TrimSpace(string(raw)), "[") {
		if err := json.Unmarshal(raw, &arr); err != nil {
			e.t.Fatalf("%s %s: bad JSON %s", method, path, raw)
		}
	} else if err := json.Unmarshal(raw, &obj); err != nil {
		e.t.Fatalf("%s %s: bad JSON %s", method, path, raw)
	}
	return resp.StatusCode, obj, arr
}

func (e *testEnv) newToken(name string) string {
	e.t.Helper()
	raw := staff.NewAPIToken()
	if _, err := e.st.CreateAPIToken(context.Background(), name, store.HashToken(raw)); err != nil {
		e.t.Fatal(err)
	}
	return raw
}

func (e *testEnv) auditActions() []string {
	e.t.Helper()
	entries, err := e.st.AuditLog(context.Background(), 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for i := len(entries) - 1; i >= 0; i-- {
		out = append(out, entries[i].ActorName+":"+entries[i].Action)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
