package staff_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flsps/faqbot/internal/staff"
	"github.com/flsps/faqbot/internal/store"
)

const (
	dana   = "dana@clinic.example"
	danaPW = "correct horse battery"
	lee    = "lee@clinic.example"
	leePW  = "another long secret"
)

func TestUnauthenticatedPagesRedirectToSignIn(t *testing.T) {
	e := newEnv(t)
	esc := e.escalate("+15615550142", "Can I book a Botox consult with Ashley?", store.KindBooking, store.PriorityNormal)
	b := e.client()
	for _, path := range []string{"/staff", "/staff/escalations/1", "/staff/audit", "/staff/events", "/staff/counts", "/staff/nope"} {
		p := b.get(path)
		if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/staff/login") {
			t.Errorf("GET %s: status %d Location %q, want 303 to /staff/login", path, p.status, p.header.Get("Location"))
		}
	}
	if loc := b.get("/staff/escalations/1").header.Get("Location"); loc != "/staff/login?next=%2Fstaff%2Fescalations%2F1" {
		t.Errorf("next: %q", loc)
	}
	p := b.post(fmt.Sprintf("/staff/escalations/%d/claim", esc.ID), url.Values{})
	if p.status != http.StatusSeeOther {
		t.Errorf("POST claim unauthenticated: %d", p.status)
	}
	if got, _ := e.st.Escalation(context.Background(), esc.ID); got.Status != store.EscOpen {
		t.Errorf("status %s after unauthenticated claim", got.Status)
	}
	// The sign-in page itself is served, with the security headers.
	p = b.get("/staff/login")
	if p.status != 200 || !strings.Contains(p.body, `name="password"`) {
		t.Fatalf("login page: %d", p.status)
	}
	checkSecurityHeaders(t, p)
}

func checkSecurityHeaders(t *testing.T, p page) {
	t.Helper()
	want := map[string]string{
		"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"Cache-Control":           "no-store",
	}
	for k, v := range want {
		if got := p.header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	for _, bad := range []string{"<script>", " style=", "onclick=", "onload="} {
		if strings.Contains(p.body, bad) {
			t.Errorf("page has inline %q (forbidden by the CSP)", bad)
		}
	}
}

func TestSignInSignOut(t *testing.T) {
	e := newEnv(t)
	e.addStaff(dana, "Dana Ortiz", danaPW, false)
	b := e.client()
	p := b.login(" DANA@clinic.example ", danaPW)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/staff" {
		t.Fatalf("sign-in: %d %q", p.status, p.header.Get("Location"))
	}
	var sc *http.Cookie
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == staff.SessionCookie {
			sc = c
		}
	}
	if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Path != "/" || len(sc.Value) < 40 {
		t.Fatalf("session cookie: %+v", sc)
	}
	// Only the hash is stored.
	if _, _, err := e.st.SessionByHash(context.Background(), sc.Value); err == nil {
		t.Error("raw session token found as a stored hash")
	}
	if _, _, err := e.st.SessionByHash(context.Background(), store.HashToken(sc.Value)); err != nil {
		t.Errorf("session not stored under its hash: %v", err)
	}
	inbox := b.get("/staff")
	if inbox.status != 200 || !strings.Contains(inbox.body, "Dana Ortiz") {
		t.Fatalf("inbox: %d", inbox.status)
	}
	checkSecurityHeaders(t, inbox)
	// A signed-in visit to the sign-in page goes to the inbox.
	if p := b.get("/staff/login"); p.status != http.StatusSeeOther {
		t.Errorf("login page when signed in: %d", p.status)
	}

	p = b.post("/staff/logout", url.Values{"csrf": {csrfOf(t, inbox)}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/staff/login" {
		t.Fatalf("logout: %d %q", p.status, p.header.Get("Location"))
	}
	if p := b.get("/staff"); p.status != http.StatusSeeOther {
		t.Errorf("after logout: %d", p.status)
	}
	if _, _, err := e.st.SessionByHash(context.Background(), store.HashToken(sc.Value)); err == nil {
		t.Error("session still stored after logout")
	}
	acts := e.auditActions()
	if !contains(acts, "Dana Ortiz:login") || !contains(acts, "Dana Ortiz:logout") {
		t.Errorf("audit: %v", acts)
	}
}

func TestSignInFailureIsGeneric(t *testing.T) {
	e := newEnv(t)
	e.addStaff(dana, "Dana Ortiz", danaPW, false)
	u := e.addStaff(lee, "Lee Park", leePW, false)
	if err := e.st.SetStaffDisabled(context.Background(), u.ID, true); err != nil {
		t.Fatal(err)
	}
	b := e.client()
	wrong := b.login(dana, "not the password")
	unknown := b.login("nobody@clinic.example", "whatever123")
	disabled := b.login(lee, leePW)
	for name, p := range map[string]page{"wrong": wrong, "unknown": unknown, "disabled": disabled} {
		if p.status != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", name, p.status)
		}
		if !strings.Contains(p.body, "match an active staff account") {
			t.Errorf("%s: no generic error in page", name)
		}
	}
	if strings.Count(wrong.body, "match an active staff account") != strings.Count(unknown.body, "match an active staff account") {
		t.Error("messages differ between wrong password and unknown account")
	}
	if p := b.get("/staff"); p.status != http.StatusSeeOther {
		t.Error("failed sign-in gave a session")
	}
	entries, _ := e.st.AuditLog(context.Background(), 10)
	n := 0
	for _, en := range entries {
		if en.Action == "login_failed" {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d login_failed audit entries, want 3", n)
	}
	// A sign-in POST without the form's token is refused.
	p := e.client().post("/staff/login", url.Values{"email": {dana}, "password": {danaPW}})
	if p.status != http.StatusForbidden {
		t.Errorf("sign-in without CSRF token: %d, want 403", p.status)
	}
}

// Only failures count: correct sign-ins never spend an allowance. After 5
// wrong passwords for an account from one address, that address waits 2 s,
// then 4 s, 8 s... for that account, and the page says until when.
func TestSignInLimitCountsOnlyFailures(t *testing.T) {
	e := newEnv(t)
	e.advance(0) // stop the clock: waits end only when the test moves it
	e.addStaff(dana, "Dana Ortiz", danaPW, false)
	for i := 0; i < 10; i++ {
		e.client().mustLogin(dana, danaPW)
	}
	b := e.client()
	for i := 0; i < 5; i++ {
		if p := b.login(dana, "wrong password!"); p.status != http.StatusUnauthorized || strings.Contains(p.body, "Try again in") {
			t.Fatalf("attempt %d: %d", i+1, p.status)
		}
	}
	p := b.login(dana, "wrong password!")
	if p.status != http.StatusUnauthorized || !strings.Contains(p.body, "Try again in 2 seconds (at ") || p.header.Get("Retry-After") != "2" {
		t.Fatalf("6th wrong password: %d, Retry-After %q", p.status, p.header.Get("Retry-After"))
	}
	p = b.login(dana, danaPW)
	if p.status != http.StatusTooManyRequests || !strings.Contains(p.body, "Too many wrong passwords from this device. Try again in 2 seconds") {
		t.Fatalf("right password while waiting: %d, want 429", p.status)
	}
	// Another account from the same address is not held up.
	e.addStaff(lee, "Lee Park", leePW, false)
	e.client().mustLogin(lee, leePW)
	// Once the wait is over the right password works, and clears the count.
	e.advance(2 * time.Second)
	e.client().mustLogin(dana, danaPW)
	for i := 0; i < 5; i++ {
		if p := b.login(dana, "wrong password!"); strings.Contains(p.body, "Try again in") {
			t.Fatalf("count not cleared by the success: attempt %d", i+1)
		}
	}
}

// An attacker who knows a staff e-mail cannot keep its owner out: the
// attacker's failures are counted for the attacker's address.
func TestAttackerCannotLockOutOwner(t *testing.T) {
	e := newEnv(t, func(o *staff.Options) { o.TrustProxy = true })
	e.advance(0)
	e.addStaff(dana, "Dana Ortiz", danaPW, false)
	attacker := e.client()
	for i := 0; i < 40; i++ {
		attacker.loginVia([]string{"203.0.113.66"}, dana, "guess number "+strconv.Itoa(i))
	}
	if p := attacker.loginVia([]string{"203.0.113.66"}, dana, danaPW); p.status != http.StatusTooManyRequests {
		t.Fatalf("attacker's address not held up: %d", p.status)
	}
	if p := e.client().loginVia([]string{"198.51.100.20"}, dana, danaPW); p.status != http.StatusSeeOther {
		t.Fatalf("owner kept out by the attacker's failures: %d", p.status)
	}
}

func TestSignInRateLimitPerAddress(t *testing.T) {
	e := newEnv(t)
	e.advance(0) // stop the clock: waits end only when the test moves it
	for i := 0; i < 32; i++ {
		e.addStaff(fmt.Sprintf("guess%d@clinic.example", i), "Guess", "right password", false)
	}
	b := e.client()
	limited := 0
	for i := 0; i < 32; i++ {
		p := b.login(fmt.Sprintf("guess%d@clinic.example", i), "wrong password")
		if p.status == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited != 1 {
		t.Errorf("%d of 32 attempts on different accounts from one address refused, want 1 (31 failures, then a wait)", limited)
	}
}

func TestSessionIdleExpiry(t *testing.T) {
	e := newEnv(t)
	e.addStaff(dana, "Dana Ortiz", danaPW, false)
	b := e.client()
	b.mustLogin(dana, danaPW)
	e.advance(90 * time.Minute)
	if p := b.get("/staff"); p.status != 200 {
		t.Fatalf("after 90 min: %d", p.status) // and the expiry slides
	}
	e.advance(90 * time.Minute)
	if p := b.get("/staff"); p.status != 200 {
		t.Fatalf("after 90+90 min with activity: %d", p.status)
	}
	e.advance(2*time.Hour + time.Minute)
	if p := b.get("/staff"); p.status != http.StatusSeeOther {
		t.Fatalf("after 2 h idle: %d, want redirect", p.status)
	}
}

func TestDisablingEndsSessions(t *testing.T) {
	e := newEnv(t)
	u := e.addStaff(dana, "Dana Ortiz", danaPW, false)
	b := e.client()
	b.mustLogin(dana, danaPW)
	if err := e.st.SetStaffDisabled(context.Background(), u.ID, true); err != nil {
		t.Fatal(err)
	}
	if p := b.get("/staff"); p.status != http.StatusSeeOther {
		t.Fatalf("disabled user: %d", p.status)
	}
}

func TestCSRFRequiredOnPosts(t *testing.T) {
	e := newEnv(t)
	e.addStaff(dana, "Dana Ortiz", danaPW, false)
	esc := e.escalate("+15615550142", "Can I book a Botox consult with Ashley?", store.KindBooking, store.PriorityNormal)
	b := e.client()
	b.mustLogin(dana, danaPW)
	path := fmt.Sprintf("/staff/escalations/%d/claim", esc.ID)
	for name, form := range map[string]url.Values{
		"missing": {},
		"wrong":   {"csrf": {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}},
	} {
		p := b.post(path, form)
		if p.status != http.StatusForbidden || !strings.Contains(p.body, "This form has expired") {
			t.Errorf("%s token: %d, want 403", name, p.status)
		}
	}
	// Another session's token does not work either.
	other := e.client()
	other.mustLogin(dana, danaPW)
	if p := b.post(path, url.Values{"csrf": {csrfOf(t, other.get("/staff"))}}); p.status != http.StatusForbidden {
		t.Errorf("other session's token: %d", p.status)
	}
	if p := b.post("/staff/logout", url.Values{}); p.status != http.StatusForbidden {
		t.Errorf("logout without token: %d", p.status)
	}
	if got, _ := e.st.Escalation(context.Background(), esc.ID); got.Status != store.EscOpen {
		t.Fatalf("claimed without a CSRF token: %s", got.Status)
	}
	// The header works for fetch() calls.
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, nil)
	req.Header.Set(staff.CSRFHeader, csrfOf(t, b.get("/staff")))
	if p := b.do(req); p.status != http.StatusSeeOther {
		t.Errorf("header token: %d", p.status)
	}
	if got, _ := e.st.Escalation(context.Background(), esc.ID); got.Status != store.EscClaimed {
		t.Fatalf("not claimed with the header token: %s", got.Status)
	}
}

func TestPatientTextIsEscaped(t *testing.T) {
	e := newEnv(t)
	e.addStaff(dana, "Dana Ortiz", danaPW, false)
	esc := e.escalate("+15615550142", `<script>alert(1)</script> "quoted" & <img src=x onerror=alert(2)>`, store.KindUnknown, store.PriorityNormal)
	if err := e.st.SetConversationName(context.Background(), esc.ConversationID, `<b>Eve</b>`); err != nil {
		t.Fatal(err)
	}
	b := e.client()
	b.mustLogin(dana, danaPW)
	for _, path := range []string{"/staff", fmt.Sprintf("/staff/escalations/%d", esc.ID)} {
		p := b.get(path)
		if strings.Contains(p.body, "<script>alert(1)") || strings.Contains(p.body, "<img src=x") || strings.Contains(p.body, "<b>Eve") {
			t.Errorf("%s: patient text not escaped", path)
		}
		if !strings.Contains(p.body, "&lt;script&gt;alert(1)&lt;/script&gt;") || !strings.Contains(p.body, "&lt;b&gt;Eve&lt;/b&gt;") {
			t.Errorf("%s: escaped patient text missing", path)
		}
		checkSecurityHeaders(t, p)
	}
}

func TestInboxOrderMaskingAndTitle(t *testing.T) {
	e := newEnv(t)
	e.addStaff(dana, "Dana Ortiz", danaPW, false)
	e.escalate("+15615550142", "Can I book a Botox consult with Ashley next week?", store.KindBooking, store.PriorityNormal)
	e.escalate("+15615550177", "Does my insurance cover Botox for TMJ?", store.KindUnknown, store.PriorityNormal)
	e.escalate("+15615550199", "my eyelid is drooping and it's hard to swallow since my shots yesterday", store.KindEmergency, store.PriorityUrgent)
	b := e.client()
	b.mustLogin(dana, danaPW)
	p := b.get("/staff")
	if !strings.Contains(p.body, "<title>(3) Inbox · Florida Spine and Pain Specialists</title>") {
		t.Errorf("title: %s", p.body[strings.Index(p.body, "<title>"):strings.Index(p.body, "</title>")+8])
	}
	iE, iB, iU := strings.Index(p.body, "•••0199"), strings.Index(p.body, "•••0142"), strings.Index(p.body, "•••0177")
	if iE < 0 || iB < 0 || iU < 0 || !(iE < iB && iB < iU) {
		t.Errorf("order: emergency %d, booking %d, unknown %d (want urgent first, then oldest)", iE, iB, iU)
	}
	if strings.Contains(p.body, "5615550142") {
		t.Error("full phone number shown in the inbox")
	}
	if !strings.Contains(p.body, `class="item urgent status-open"`) {
		t.Error("urgent item not marked")
	}
	// Resolved filter.
	if p := b.get("/staff?view=resolved"); !strings.Contains(p.body, "Nothing resolved yet") {
		t.Error("resolved view not empty")
	}
	// Counts JSON (polling fallback).
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/staff/counts", nil)
	c := b.do(req)
	var n struct{ Open, Urgent int }
	if err := json.Unmarshal([]byte(c.body), &n); err != nil || n.Open != 3 || n.Urgent != 1 {
		t.Errorf("counts: %s", c.body)
	}
}

func TestClaimReplyNoteResolveReopen(t *testing.T) {
	e := newEnv(t)
	e.addStaff(dana, "Dana Ortiz", danaPW, false)
	esc := e.escalate("+15615550142", "Can I book a Botox consult with Ashley next week?", store.KindBooking, store.PriorityNormal)
	ctx := context.Background()
	b := e.client()
	b.mustLogin(dana, danaPW)
	page0 := b.get(fmt.Sprintf("/staff/escalations/%d", esc.ID))
	if !strings.Contains(page0.body, "Can I book a Botox consult with Ashley next week?") || !strings.Contains(page0.body, "Handed to staff by the bot") {
		t.Fatal("conversation not shown")
	}
	back := fmt.Sprintf("/staff/escalations/%d", esc.ID)

	p := b.act(esc.ID, "claim", nil)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != back {
		t.Fatalf("claim: %d %q", p.status, p.header.Get("Location"))
	}
	got, _ := e.st.Escalation(ctx, esc.ID)
	if got.Status != store.EscClaimed || got.ClaimedByName != "Dana Ortiz" {
		t.Fatalf("after claim: %+v", got)
	}
	if pg := b.get(back); !strings.Contains(pg.body, "You&#39;ve claimed this") || !strings.Contains(pg.body, "Claimed by you") {
		t.Errorf("claim flash/status missing")
	}

	p = b.act(esc.ID, "reply", url.Values{"body": {"Hi! We have Tuesday at 10:00. Does that work?"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("reply: %d", p.status)
	}
	msgs, _ := e.st.Messages(ctx, esc.ConversationID)
	last := msgs[len(msgs)-1]
	if last.Author != store.AuthorStaff || last.Status != store.MsgQueued || last.Body != "Hi! We have Tuesday at 10:00. Does that work?" {
		t.Fatalf("reply message: %+v", last)
	}
	if e.wakes.Load() != 1 {
		t.Errorf("Wake called %d times", e.wakes.Load())
	}
	items, err := e.st.ClaimOutbox(ctx, time.Now().Add(time.Minute), 10, time.Minute)
	if err != nil || len(items) != 1 || items[0].Target != "+15615550142" || items[0].MessageID == nil || *items[0].MessageID != last.ID {
		t.Fatalf("outbox: %+v %v", items, err)
	}
	if pg := b.get(back); !strings.Contains(pg.body, "Reply queued") || !strings.Contains(pg.body, "Queued") {
		t.Error("reply not shown with its status")
	}
	// The delivery status shows once Twilio reports it.
	if err := e.st.OutboxSent(ctx, items[0].ID, "SM_out_1"); err != nil {
		t.Fatal(err)
	}
	if err := e.st.UpdateMessageStatus(ctx, "SM_out_1", store.MsgDelivered, ""); err != nil {
		t.Fatal(err)
	}
	if pg := b.get(back); !strings.Contains(pg.body, "Delivered ✓") {
		t.Error("delivery status not shown")
	}

	if p := b.act(esc.ID, "note", url.Values{"body": {"Offered Tue 10:00, waiting"}}); p.status != http.StatusSeeOther {
		t.Fatalf("note: %d", p.status)
	}
	if pg := b.get(back); !strings.Contains(pg.body, "Offered Tue 10:00, waiting") || !strings.Contains(pg.body, "Internal note") {
		t.Error("note not shown")
	}

	// Resolve needs an outcome.
	b.act(esc.ID, "resolve", url.Values{"outcome": {"maybe"}})
	if got, _ := e.st.Escalation(ctx, esc.ID); got.Status == store.EscResolved {
		t.Fatal("resolved with a bad outcome")
	}
	p = b.act(esc.ID, "resolve", url.Values{"outcome": {"booked"}, "note": {"Tue 10:00 consult with Ashley (migraine)"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/staff" {
		t.Fatalf("resolve: %d %q", p.status, p.header.Get("Location"))
	}
	got, _ = e.st.Escalation(ctx, esc.ID)
	if got.Status != store.EscResolved || got.Outcome != store.OutcomeBooked {
		t.Fatalf("after resolve: %+v", got)
	}
	if pg := b.get("/staff?view=resolved"); !strings.Contains(pg.body, "•••0142") || !strings.Contains(pg.body, "Booked") {
		t.Error("resolved view misses it")
	}
	if pg := b.get(back); !strings.Contains(pg.body, "resolved this: Booked") || !strings.Contains(pg.body, "Reopen it to reply") {
		t.Error("resolved page")
	}

	if p := b.act(esc.ID, "reopen", nil); p.status != http.StatusSeeOther {
		t.Fatalf("reopen: %d", p.status)
	}
	if got, _ := e.st.Escalation(ctx, esc.ID); got.Status != store.EscOpen {
		t.Fatalf("after reopen: %s", got.Status)
	}
	b.act(esc.ID, "claim", nil)
	if p := b.act(esc.ID, "release", nil); p.status != http.StatusSeeOther {
		t.Fatalf("release: %d", p.status)
	}
	if got, _ := e.st.Escalation(ctx, esc.ID); got.Status != store.EscOpen {
		t.Fatalf("after release: %s", got.Status)
	}

	acts := e.auditActions()
	for _, want := range []string{"view", "claim", "reply", "note", "resolve", "reopen", "release"} {
		if !contains(acts, "Dana Ortiz:"+want) {
			t.Errorf("audit misses %q: %v", want, acts)
		}
	}
	// Unknown escalation: 404 page.
	if p := b.get("/staff/escalations/999"); p.status != http.StatusNotFound {
		t.Errorf("unknown escalation: %d", p.status)
	}
}

func TestReplyRefusals(t *testing.T) {
	e := newEnv(t)
	e.addStaff(dana, "Dana Ortiz", danaPW, false)
	e.addStaff(lee, "Lee Park", leePW, false)
	ctx := context.Background()
	b := e.client()
	b.mustLogin(dana, danaPW)
	count := func(convID int64) int {
		msgs, _ := e.st.Messages(ctx, convID)
		return len(msgs)
	}

	// Opted out.
	esc := e.escalate("+15615550142", "Can I book?", store.KindBooking, store.PriorityNormal)
	e.optOut("+15615550142")
	pg := b.get(fmt.Sprintf("/staff/escalations/%d", esc.ID))
	if !strings.Contains(pg.body, "opted out of texts; call them instead") || strings.Contains(pg.body, `id="reply-body"`) {
		t.Error("opted-out page should explain and hide the reply box")
	}
	n := count(esc.ConversationID)
	if pg := b.act(esc.ID, "reply", url.Values{"body": {"Hello?"}}); pg.status != http.StatusUnprocessableEntity ||
		!strings.Contains(pg.body, "Not sent: this patient has opted out") || !strings.Contains(pg.body, ">Hello?</textarea>") {
		t.Errorf("no opted-out flash, or the text was lost: %d", pg.status)
	}
	if count(esc.ConversationID) != n {
		t.Error("a reply to an opted-out patient was stored")
	}

	// Sending not configured.
	esc2 := e.escalate("+15615550177", "Question", store.KindUnknown, store.PriorityNormal)
	e.canSend.Store(false)
	if pg := b.get(fmt.Sprintf("/staff/escalations/%d", esc2.ID)); !strings.Contains(pg.body, "text messaging is not set up") {
		t.Error("no not-configured notice")
	}
	n = count(esc2.ConversationID)
	if pg := b.act(esc2.ID, "reply", url.Values{"body": {"Hello"}}); !strings.Contains(pg.body, "Not sent: text messaging is not set up") {
		t.Error("no not-configured flash")
	}
	if count(esc2.ConversationID) != n {
		t.Error("reply stored although sending is not configured")
	}
	e.canSend.Store(true)

	// Claimed by someone else: claim and reply refused.
	other := e.client()
	other.mustLogin(lee, leePW)
	other.act(esc2.ID, "claim", nil)
	b.act(esc2.ID, "claim", nil)
	if pg := b.get(fmt.Sprintf("/staff/escalations/%d", esc2.ID)); !strings.Contains(pg.body, "Lee Park has this escalation") {
		t.Error("no conflict flash naming the holder")
	}
	// A reply typed meanwhile is refused and kept in the box.
	if pg := b.act(esc2.ID, "reply", url.Values{"body": {"Hello from Dana"}}); pg.status != http.StatusConflict ||
		!strings.Contains(pg.body, "Hello from Dana</textarea>") || !strings.Contains(pg.body, "Lee Park has this escalation") {
		t.Errorf("refused reply: %d, text not kept", pg.status)
	}
	if count(esc2.ConversationID) != n {
		t.Error("reply stored on someone else's claim")
	}
	if got, _ := e.st.Escalation(ctx, esc2.ID); got.ClaimedByName != "Lee Park" {
		t.Errorf("claim taken over: %s", got.ClaimedByName)
	}

	// Replying to a waiting escalation claims it.
	esc3 := e.escalate("+15615550188", "Hello?", store.KindHuman, store.PriorityNormal)
	b.act(esc3.ID, "reply", url.Values{"body": {"Hi, this is Dana."}})
	if got, _ := e.st.Escalation(ctx, esc3.ID); got.Status != store.EscClaimed || got.ClaimedByName != "Dana Ortiz" {
		t.Errorf("reply did not claim: %+v", got)
	}
}

func TestAPIRequiresToken(t *testing.T) {
	e := newEnv(t)
	e.escalate("+15615550142", "Can I book?", store.KindBooking, store.PriorityNormal)
	tok := e.newToken("zapier")
	for _, auth := range []string{"", "Bearer", "Bearer fqb_wrong", "Basic " + tok, "Token " + tok} {
		for _, rq := range []struct{ method, path string }{
			{"GET", "/api/v1/escalations?status=open"}, {"GET", "/api/v1/escalations/1"},
			{"POST", "/api/v1/escalations/1/claim"}, {"GET", "/api/v1/other"},
		} {
			req, _ := http.NewRequest(rq.method, e.srv.URL+rq.path, nil)
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var body map[string]string
			err = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized || err != nil || body["error"] == "" {
				t.Errorf("%s %s with %q: %d %v", rq.method, rq.path, auth, resp.StatusCode, body)
			}
		}
	}
	if got, _ := e.st.Escalation(context.Background(), 1); got.Status != store.EscOpen {
		t.Error("claimed without a token")
	}
	// Revoked tokens stop working.
	toks, _ := e.st.ListAPITokens(context.Background())
	if err := e.st.DeleteAPIToken(context.Background(), toks[0].ID); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := e.apiCall("GET", "/api/v1/escalations", tok, ""); st != 401 {
		t.Errorf("revoked token: %d", st)
	}
}

func TestAPIFlow(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	booking := e.escalate("+15615550142", "Can I book a Botox consult with Ashley?", store.KindBooking, store.PriorityNormal)
	urgent := e.escalate("+15615550199", "Eyelid drooping, hard to swallow since my shots", store.KindEmergency, store.PriorityUrgent)
	tok := e.newToken("zapier")

	st, _, list := e.apiCall("GET", "/api/v1/escalations?status=open", tok, "")
	if st != 200 || len(list) != 2 {
		t.Fatalf("list: %d %v", st, list)
	}
	first := list[0].(map[string]any)
	for _, k := range []string{"id", "kind", "priority", "status", "created_at", "conversation_id", "patient", "claimed_by"} {
		if _, ok := first[k]; !ok {
			t.Errorf("list item lacks %q: %v", k, first)
		}
	}
	if first["id"].(float64) != float64(urgent.ID) || first["patient"] != "•••0199" || first["claimed_by"] != nil {
		t.Errorf("first item: %v", first)
	}
	if _, err := time.Parse(time.RFC3339, first["created_at"].(string)); err != nil {
		t.Errorf("created_at: %v", first["created_at"])
	}
	if st, obj, _ := e.apiCall("GET", "/api/v1/escalations?status=bogus", tok, ""); st != 400 || obj["error"] == nil {
		t.Errorf("bad status filter: %d %v", st, obj)
	}

	id := fmt.Sprint(booking.ID)
	st, obj, _ := e.apiCall("GET", "/api/v1/escalations/"+id, tok, "")
	if st != 200 {
		t.Fatalf("get: %d %v", st, obj)
	}
	conv := obj["conversation"].(map[string]any)
	msgs := conv["messages"].([]any)
	evs := conv["events"].([]any)
	if len(msgs) != 2 || msgs[0].(map[string]any)["body"] != "Can I book a Botox consult with Ashley?" || len(evs) != 1 || evs[0].(map[string]any)["kind"] != "escalated" {
		t.Errorf("conversation: %v", conv)
	}
	if st, _, _ := e.apiCall("GET", "/api/v1/escalations/999", tok, ""); st != 404 {
		t.Errorf("unknown id: %d", st)
	}
	if st, obj, _ := e.apiCall("GET", "/api/v1/nothing", tok, ""); st != 404 || obj["error"] == nil {
		t.Errorf("unknown endpoint: %d %v", st, obj)
	}

	st, obj, _ = e.apiCall("POST", "/api/v1/escalations/"+id+"/claim", tok, "")
	if st != 200 || obj["status"] != "claimed" || obj["claimed_by"] != "api:zapier" {
		t.Fatalf("claim: %d %v", st, obj)
	}
	// Claiming again is fine (idempotent); another actor gets 409.
	if st, _, _ := e.apiCall("POST", "/api/v1/escalations/"+id+"/claim", tok, ""); st != 200 {
		t.Errorf("re-claim: %d", st)
	}
	other := e.newToken("ehr")
	if st, obj, _ := e.apiCall("POST", "/api/v1/escalations/"+id+"/claim", other, ""); st != 409 || obj["error"] == nil {
		t.Errorf("claim by another: %d %v", st, obj)
	}

	if st, _, _ := e.apiCall("POST", "/api/v1/escalations/"+id+"/reply", tok, `{"body":`); st != 400 {
		t.Errorf("bad JSON: %d", st)
	}
	if st, _, _ := e.apiCall("POST", "/api/v1/escalations/"+id+"/reply", tok, `{"body":"  "}`); st != 422 {
		t.Errorf("empty body: %d", st)
	}
	st, obj, _ = e.apiCall("POST", "/api/v1/escalations/"+id+"/reply", tok, `{"body":"We have Tuesday 10:00 free."}`)
	if st != 201 {
		t.Fatalf("reply: %d %v", st, obj)
	}
	if m := obj["message"].(map[string]any); m["status"] != "queued" || m["author"] != "staff" {
		t.Errorf("reply message: %v", m)
	}

	if st, _, _ := e.apiCall("POST", "/api/v1/escalations/"+id+"/resolve", tok, `{"outcome":"great"}`); st != 422 {
		t.Errorf("bad outcome: %d", st)
	}
	st, obj, _ = e.apiCall("POST", "/api/v1/escalations/"+id+"/resolve", tok, `{"outcome":"booked","note":"Tue 10:00"}`)
	if st != 200 || obj["status"] != "resolved" || obj["outcome"] != "booked" {
		t.Fatalf("resolve: %d %v", st, obj)
	}
	if st, obj, _ := e.apiCall("POST", "/api/v1/escalations/"+id+"/resolve", tok, `{"outcome":"booked"}`); st != 409 || obj["error"] == nil {
		t.Errorf("resolve twice: %d %v", st, obj)
	}
	if st, _, _ := e.apiCall("POST", "/api/v1/escalations/"+id+"/reply", tok, `{"body":"late"}`); st != 409 {
		t.Errorf("reply to resolved: %d", st)
	}

	// Opted out: 422 with the reason; not configured: 503.
	e.optOut("+15615550199")
	uid := fmt.Sprint(urgent.ID)
	st, obj, _ = e.apiCall("POST", "/api/v1/escalations/"+uid+"/reply", tok, `{"body":"Are you OK?"}`)
	if st != 422 || obj["code"] != "opted_out" || !strings.Contains(obj["error"].(string), "opted out") {
		t.Errorf("opted out: %d %v", st, obj)
	}
	e.canSend.Store(false)
	st, obj, _ = e.apiCall("POST", "/api/v1/escalations/"+uid+"/reply", tok, `{"body":"Are you OK?"}`)
	if st != 503 || !strings.Contains(obj["error"].(string), "not configured") {
		t.Errorf("cannot send: %d %v", st, obj)
	}

	entries, _ := e.st.AuditLog(ctx, 100)
	seen := map[string]bool{}
	for _, en := range entries {
		if en.ActorName == "api:zapier" && en.ActorID == nil {
			seen[en.Action] = true
		}
	}
	for _, a := range []string{"view", "claim", "reply", "resolve"} {
		if !seen[a] {
			t.Errorf("no audit %q by api:zapier", a)
		}
	}
	st, _, list = e.apiCall("GET", "/api/v1/escalations?status=resolved", tok, "")
	if st != 200 || len(list) != 1 {
		t.Errorf("resolved list: %d %v", st, list)
	}
}

func TestEventStreamPushesChanges(t *testing.T) {
	defer func(d time.Duration) { *staff.StreamCheck = d }(*staff.StreamCheck)
	*staff.StreamCheck = 100 * time.Millisecond
	e := newEnv(t)
	u := e.addStaff(dana, "Dana Ortiz", danaPW, false)
	b := e.client()
	b.mustLogin(dana, danaPW)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.srv.URL+"/staff/events", nil)
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	sc := bufio.NewScanner(resp.Body)
	next := func() map[string]any {
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var m map[string]any
				if err := json.Unmarshal([]byte(d), &m); err != nil {
					t.Fatal(err)
				}
				return m
			}
		}
		t.Fatalf("stream ended: %v", sc.Err())
		return nil
	}
	if m := next(); m["open"].(float64) != 0 {
		t.Fatalf("first event: %v", m)
	}
	e.escalate("+15615550199", "Help, my eyelid is drooping", store.KindEmergency, store.PriorityUrgent)
	e.console.Notify()
	if m := next(); m["open"].(float64) != 1 || m["urgent"].(float64) != 1 {
		t.Fatalf("after Notify: %v", m)
	}
	// Disabling the account ends its stream at the next session check.
	if err := e.st.SetStaffDisabled(context.Background(), u.ID, true); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() {
		if sc.Text() == "event: signedout" {
			return
		}
	}
	t.Fatalf("stream of a disabled account did not end with signedout: %v", sc.Err())
}

func TestAuditPageAdminsOnly(t *testing.T) {
	e := newEnv(t)
	e.addStaff(dana, "Dana Ortiz", danaPW, true)
	e.addStaff(lee, "Lee Park", leePW, false)
	a := e.client()
	a.mustLogin(dana, danaPW)
	if p := a.get("/staff/audit"); p.status != 200 || !strings.Contains(p.body, "login") {
		t.Errorf("admin audit page: %d", p.status)
	}
	s := e.client()
	s.mustLogin(lee, leePW)
	if p := s.get("/staff/audit"); p.status != http.StatusForbidden {
		t.Errorf("non-admin audit page: %d", p.status)
	}
}

func TestStaticAssets(t *testing.T) {
	e := newEnv(t)
	b := e.client()
	for path, ct := range map[string]string{"/staff/static/staff.css": "text/css", "/staff/static/staff.js": "text/javascript"} {
		p := b.get(path)
		if p.status != 200 || !strings.HasPrefix(p.header.Get("Content-Type"), ct) || p.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: %d %q", path, p.status, p.header.Get("Content-Type"))
		}
	}
	if p := b.get("/staff/static/nope.js"); p.status != 404 {
		t.Errorf("missing asset: %d", p.status)
	}
}

func TestPasswordRules(t *testing.T) {
	if err := staff.CheckPassword("short"); err == nil {
		t.Error("short password accepted")
	}
	if err := staff.CheckPassword(strings.Repeat("x", 73)); err == nil {
		t.Error("73-byte password accepted")
	}
	if _, err := staff.HashPassword("long enough pw"); err != nil {
		t.Error(err)
	}
	p1, p2 := staff.GeneratePassword(), staff.GeneratePassword()
	if p1 == p2 || staff.CheckPassword(p1) != nil {
		t.Errorf("generated %q %q", p1, p2)
	}
	if tok := staff.NewAPIToken(); !strings.HasPrefix(tok, "fqb_") || len(tok) != 47 {
		t.Errorf("token %q", tok)
	}
}
