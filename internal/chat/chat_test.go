package chat_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"golang.org/x/time/rate"

	"github.com/flsps/faqbot/internal/bot"
	"github.com/flsps/faqbot/internal/chat"
	"github.com/flsps/faqbot/internal/faq"
	"github.com/flsps/faqbot/internal/ratelimit"
	"github.com/flsps/faqbot/internal/store"
)

// t0 is a Tuesday at 10:00 in the clinic's time zone: office hours, so
// replies use the daytime wording whatever today is.
var t0 = time.Date(2026, 3, 3, 15, 0, 0, 0, time.UTC)

type env struct {
	t     *testing.T
	st    *store.SQL
	svc   *bot.Service
	chat  *chat.Chat
	srv   *httptest.Server
	spool *bot.Spool
}

type options struct {
	origins        []string
	sessionLimiter *ratelimit.Limiter
	addressLimiter *ratelimit.Limiter
}

// newEnv serves the chat over real HTTP on a real SQLite store with the
// repository's FAQ; every clock is t0.
func newEnv(t *testing.T, o options) *env {
	t.Helper()
	set, err := faq.Load(filepath.Join("..", "..", "faq"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	st, err := store.OpenDataDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := func() time.Time { return t0 }
	st.SetClock(now)
	svc := bot.NewService(st, bot.NewEngine(set))
	svc.Now, svc.Log = now, slog.New(slog.DiscardHandler)
	e := &env{t: t, st: st, svc: svc, spool: &bot.Spool{Dir: filepath.Join(dir, "spool")}}
	e.chat = chat.New(chat.Options{
		Service: svc, Store: st, Spool: e.spool, Origins: o.origins, ClinicName: set.Clinic.Name, Now: now,
		SessionLimiter: o.sessionLimiter, AddressLimiter: o.addressLimiter,
	})
	svc.Notify = e.chat.Notify
	r := mux.NewRouter()
	e.chat.Register(r)
	e.srv = httptest.NewServer(r)
	t.Cleanup(e.srv.Close)
	t.Cleanup(e.chat.Close) // runs first: open streams end before the server closes
	return e
}

type reply struct {
	Session    string `json:"session"`
	Reply      string `json:"reply"`
	Intent     string `json:"intent"`
	FAQID      string `json:"faq_id"`
	Lang       string `json:"lang"`
	Silent     string `json:"silent"`
	Escalated  bool   `json:"escalated"`
	AskContact bool   `json:"ask_contact"`
	Error      string `json:"error"`
}

// do sends a request and decodes a JSON answer into out (if not nil).
func (e *env) do(method, path, contentType, body string, header map[string]string, out any) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %d %q is not JSON: %v", method, path, resp.StatusCode, b, err)
		}
	}
	return resp
}

func (e *env) send(session, text string) reply {
	e.t.Helper()
	b, _ := json.Marshal(map[string]string{"session": session, "text": text})
	var r reply
	if resp := e.do("POST", "/chat/v1/messages", "application/json", string(b), nil, &r); resp.StatusCode != 200 {
		e.t.Fatalf("POST %q: %d %+v", text, resp.StatusCode, r)
	}
	return r
}

type history struct {
	Session  string `json:"session"`
	Lang     string `json:"lang"`
	Contact  bool   `json:"contact"`
	Messages []struct {
		ID   int64  `json:"id"`
		From string `json:"from"`
		Text string `json:"text"`
	} `json:"messages"`
}

func (e *env) history(session string) history {
	e.t.Helper()
	var h history
	if resp := e.do("GET", "/chat/v1/messages?session="+session, "", "", nil, &h); resp.StatusCode != 200 {
		e.t.Fatalf("history: %d", resp.StatusCode)
	}
	return h
}

// TestSameDecisionAsSMS: a new session gets the curated answer, Spanish in
// Spanish, the conversation keeps its topic for follow-ups, and the history
// holds the thread.
func TestSameDecisionAsSMS(t *testing.T) {
	e := newEnv(t, options{})
	r := e.send("", "how long does botox last")
	if len(r.Session) < 22 || r.Intent != "faq" || r.FAQID != "botox-duration" || !strings.Contains(r.Reply, "3 to 6 months") || r.Lang != "en" {
		t.Fatalf("first answer: %+v", r)
	}
	r2 := e.send(r.Session, "does botox help tmj")
	if r2.Session != r.Session || r2.FAQID != "tmj" {
		t.Fatalf("second answer: %+v", r2)
	}
	// The store knows the session only by a hash.
	if _, err := e.st.Conversation(context.Background(), store.ChannelWeb, r.Session); err == nil {
		t.Error("the raw session id is stored as the address")
	}
	h := e.history(r.Session)
	if len(h.Messages) != 4 || h.Messages[0].From != "patient" || h.Messages[1].From != "bot" || h.Messages[3].Text != r2.Reply {
		t.Fatalf("history: %+v", h)
	}
	var after history
	e.do("GET", "/chat/v1/messages?session="+r.Session+"&after="+jsonInt(h.Messages[1].ID), "", "", nil, &after)
	if len(after.Messages) != 2 {
		t.Errorf("history after the first exchange: %+v", after)
	}
	es := e.send("", "cuanto dura el botox")
	if es.Lang != "es" || es.FAQID != "botox-duration" || !strings.Contains(es.Reply, "meses") {
		t.Errorf("Spanish: %+v", es)
	}
	if u := e.send("", "how much does botox cost"); u.Intent != "unknown" || !u.Escalated || !u.AskContact {
		t.Errorf("staff are to follow up on a question, but no contact details asked: %+v", u)
	}
	// A session with no messages yet has an empty history.
	if h := e.history(strings.Repeat("A", 32)); len(h.Messages) != 0 {
		t.Errorf("unknown session history: %+v", h)
	}
}

func jsonInt(v int64) string { b, _ := json.Marshal(v); return string(b) }

// TestEmergencyEscalatesEvenWhenLimited: an emergency gets 911 and an urgent
// escalation, also from a session that has used up its rate limit.
func TestEmergencyEscalatesEvenWhenLimited(t *testing.T) {
	clock := func() time.Time { return t0 }
	e := newEnv(t, options{sessionLimiter: ratelimit.New(rate.Every(time.Minute), 1, 0).WithClock(clock)})
	r := e.send("", "how long does botox last")
	var lim reply
	b, _ := json.Marshal(map[string]string{"session": r.Session, "text": "does it help tmj"})
	resp := e.do("POST", "/chat/v1/messages", "application/json", string(b), nil, &lim)
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(lim.Error, "911") || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("over the limit: %d %+v", resp.StatusCode, lim)
	}
	em := e.send(r.Session, "i cant breathe after my botox shot")
	if em.Intent != "emergency" || !strings.Contains(em.Reply, "911") || !em.Escalated || !em.AskContact {
		t.Fatalf("emergency (911, urgent escalation, and the form so staff can call): %+v", em)
	}
	open, _ := e.st.Escalations(context.Background(), store.EscalationFilter{Status: []string{store.EscOpen}})
	if len(open) != 1 || open[0].Priority != store.PriorityUrgent || open[0].Channel != store.ChannelWeb {
		t.Fatalf("escalations: %+v", open)
	}
}

// TestHandOff: asking to book escalates and asks for contact details; the
// name and number (with consent) reach the escalation; a staff reply then
// reaches the open widget's event stream and the history, and is queued as
// a text to the number.
func TestHandOff(t *testing.T) {
	e := newEnv(t, options{})
	ctx := context.Background()
	r := e.send("", "how long does botox last")
	if r.AskContact {
		t.Errorf("an answered question asked for contact details: %+v", r)
	}
	b := e.send(r.Session, "i want to book an appointment")
	if b.Intent != "booking" || !b.Escalated || !b.AskContact {
		t.Fatalf("booking: %+v", b)
	}
	open, _ := e.st.Escalations(ctx, store.EscalationFilter{Status: []string{store.EscOpen}})
	if len(open) != 1 || open[0].Kind != store.KindBooking {
		t.Fatalf("escalations: %+v", open)
	}
	esc := open[0]

	// The widget's stream is open before staff answer.
	req, _ := http.NewRequest("GET", e.srv.URL+"/chat/v1/events?session="+r.Session, nil)
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(sctx))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("stream Content-Type %q", ct)
	}
	events := make(chan string, 4)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "data: ") {
				events <- strings.TrimPrefix(line, "data: ")
			}
		}
	}()

	var c struct {
		Name, Phone, Error string
	}
	body := `{"session": "` + r.Session + `", "name": "  Maria   Lopez ", "phone": "(561) 555-0142", "consent": true, "lang": "en"}`
	if resp := e.do("POST", "/chat/v1/contact", "application/json", body, nil, &c); resp.StatusCode != 200 || c.Name != "Maria Lopez" || c.Phone != "…0142" {
		t.Fatalf("contact: %d %+v", resp.StatusCode, c)
	}
	got, _ := e.st.Escalation(ctx, esc.ID)
	if got.PatientName != "Maria Lopez" || got.ContactPhone != "+15615550142" {
		t.Fatalf("the escalation does not carry the contact: %+v", got)
	}
	if again := e.send(r.Session, "can i talk to a person"); again.AskContact {
		t.Errorf("asked for contact details again: %+v", again)
	}
	if h := e.history(r.Session); !h.Contact {
		t.Error("history does not say a contact was left")
	}

	// Staff claim and reply in the console.
	if _, err := e.st.ClaimEscalation(ctx, esc.ID, 0, "Dana"); err != nil {
		t.Fatal(err)
	}
	if q := e.send(r.Session, "ok what times do you have"); q.Reply != "" || q.Silent != bot.SilentHandoff {
		t.Errorf("during the handoff the bot answered: %+v", q)
	}
	m, err := e.st.QueueStaffReply(ctx, esc.ID, 0, "Dana", "Hi Maria, Tuesday at 3:30 PM works.")
	if err != nil {
		t.Fatal(err)
	}
	e.chat.Notify()
	select {
	case ev := <-events:
		var msg struct {
			ID   int64
			From string
			Text string
		}
		if err := json.Unmarshal([]byte(ev), &msg); err != nil || msg.ID != m.ID || msg.From != "staff" || msg.Text != m.Body {
			t.Fatalf("stream event %q: %+v %v", ev, msg, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the staff reply did not reach the open stream")
	}
	h := e.history(r.Session)
	if last := h.Messages[len(h.Messages)-1]; last.From != "staff" || last.Text != m.Body {
		t.Errorf("history ends with %+v", last)
	}
	items, _ := e.st.ClaimOutbox(ctx, t0, 10, time.Minute)
	if len(items) != 1 || items[0].Target != "+15615550142" {
		t.Errorf("the reply was not queued as a text to the number: %+v", items)
	}
}

// TestRefusals: every bad request is a 4xx with a plain JSON reason, and
// stores nothing.
func TestRefusals(t *testing.T) {
	e := newEnv(t, options{})
	r := e.send("", "hello")
	sess := r.Session
	cases := []struct {
		name, method, path, ctype, body string
		want                            int
		reason                          string
	}{
		{"form body", "POST", "/chat/v1/messages", "application/x-www-form-urlencoded", "text=hi", 415, "application/json"},
		{"not JSON", "POST", "/chat/v1/messages", "application/json", "{text", 400, "JSON"},
		{"two values", "POST", "/chat/v1/messages", "application/json", `{"text":"a"} {"text":"b"}`, 400, "JSON"},
		{"too large", "POST", "/chat/v1/messages", "application/json", `{"text":"` + strings.Repeat("a", 20<<10) + `"}`, 413, "16 KiB"},
		{"empty text", "POST", "/chat/v1/messages", "application/json", `{"text":"  \u0000 "}`, 422, "empty"},
		{"long text", "POST", "/chat/v1/messages", "application/json", `{"text":"` + strings.Repeat("é", 1601) + `"}`, 422, "1600"},
		{"bad session", "POST", "/chat/v1/messages", "application/json", `{"session":"../etc","text":"hi"}`, 400, "session"},
		{"bad client id", "POST", "/chat/v1/messages", "application/json", `{"text":"hi","client_id":"a b"}`, 400, "client_id"},
		{"history without session", "GET", "/chat/v1/messages", "", "", 400, "session"},
		{"history bad after", "GET", "/chat/v1/messages?session=" + sess + "&after=x", "", "", 400, "after"},
		{"stream without session", "GET", "/chat/v1/events", "", "", 400, "session"},
		{"contact bad phone", "POST", "/chat/v1/contact", "application/json", `{"session":"` + sess + `","name":"Ann","phone":"555-01","consent":true}`, 422, "phone"},
		{"contact letters in phone", "POST", "/chat/v1/contact", "application/json", `{"session":"` + sess + `","name":"Ann","phone":"call me 5615550142","consent":true}`, 422, "phone"},
		{"contact no consent", "POST", "/chat/v1/contact", "application/json", `{"session":"` + sess + `","name":"Ann","phone":"5615550142"}`, 422, "consent"},
		{"contact no name", "POST", "/chat/v1/contact", "application/json", `{"session":"` + sess + `","name":" ","phone":"5615550142","consent":true}`, 422, "name"},
		{"contact unknown session", "POST", "/chat/v1/contact", "application/json", `{"session":"` + strings.Repeat("B", 32) + `","name":"Ann","phone":"5615550142","consent":true}`, 404, "session"},
		{"unknown endpoint", "GET", "/chat/v1/nope", "", "", 404, "no such"},
		{"wrong method", "DELETE", "/chat/v1/messages", "", "", 405, "GET, POST"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out struct{ Error string }
			resp := e.do(c.method, c.path, c.ctype, c.body, nil, &out)
			if resp.StatusCode != c.want || !strings.Contains(out.Error, c.reason) {
				t.Errorf("%d %q, want %d and a reason naming %q", resp.StatusCode, out.Error, c.want, c.reason)
			}
		})
	}
	msgs, _ := e.st.Escalations(context.Background(), store.EscalationFilter{})
	if h := e.history(sess); len(h.Messages) != 2 || len(msgs) != 0 {
		t.Errorf("refused requests stored something: %+v %+v", h, msgs)
	}
}

// TestCORS: listed origins and the server's own may call the API (with
// preflights answered); others are refused with a reason.
func TestCORS(t *testing.T) {
	e := newEnv(t, options{origins: []string{"https://www.flsps.example"}})
	body := `{"text":"how long does botox last"}`
	var ok reply
	resp := e.do("POST", "/chat/v1/messages", "application/json", body, map[string]string{"Origin": "https://www.flsps.example"}, &ok)
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "https://www.flsps.example" {
		t.Fatalf("allowed origin: %d %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	pre := e.do("OPTIONS", "/chat/v1/messages", "", "", map[string]string{"Origin": "https://www.flsps.example",
		"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}, nil)
	if pre.StatusCode != 204 || !strings.Contains(pre.Header.Get("Access-Control-Allow-Headers"), "Content-Type") ||
		!strings.Contains(pre.Header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Fatalf("preflight: %d %v", pre.StatusCode, pre.Header)
	}
	own := "http://" + strings.TrimPrefix(e.srv.URL, "http://")
	if resp := e.do("POST", "/chat/v1/messages", "application/json", body, map[string]string{"Origin": own}, nil); resp.StatusCode != 200 {
		t.Errorf("the server's own origin: %d", resp.StatusCode)
	}
	var bad struct{ Error string }
	resp = e.do("POST", "/chat/v1/messages", "application/json", body, map[string]string{"Origin": "https://evil.example"}, &bad)
	if resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" || !strings.Contains(bad.Error, "FAQBOT_CHAT_ORIGINS") {
		t.Errorf("other origin: %d %q", resp.StatusCode, bad.Error)
	}
	if pre := e.do("OPTIONS", "/chat/v1/messages", "", "", map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}, nil); pre.StatusCode != 403 {
		t.Errorf("preflight from another origin: %d", pre.StatusCode)
	}
}

// TestAddressLimit: one address cannot open session after session beyond
// its limit.
func TestAddressLimit(t *testing.T) {
	clock := func() time.Time { return t0 }
	e := newEnv(t, options{addressLimiter: ratelimit.New(rate.Every(time.Minute), 2, 0).WithClock(clock)})
	e.send("", "hello")
	e.send("", "hello")
	var out struct{ Error string }
	if resp := e.do("POST", "/chat/v1/messages", "application/json", `{"text":"hello"}`, nil, &out); resp.StatusCode != 429 || out.Error == "" {
		t.Fatalf("third session from one address: %d %q", resp.StatusCode, out.Error)
	}
}

// TestRetryIsStoredOnce: the widget's retry of a message (same client_id)
// gets the same answer and stores nothing new.
func TestRetryIsStoredOnce(t *testing.T) {
	e := newEnv(t, options{})
	r := e.send("", "hello")
	body := `{"session":"` + r.Session + `","text":"i want to book","client_id":"m-1"}`
	var a, b reply
	e.do("POST", "/chat/v1/messages", "application/json", body, nil, &a)
	e.do("POST", "/chat/v1/messages", "application/json", body, nil, &b)
	if a.Reply == "" || a.Reply != b.Reply {
		t.Fatalf("retry answered %q, first %q", b.Reply, a.Reply)
	}
	if h := e.history(r.Session); len(h.Messages) != 4 {
		t.Errorf("a retry was stored twice: %d messages", len(h.Messages))
	}
	all, _ := e.st.Escalations(context.Background(), store.EscalationFilter{})
	if len(all) != 1 {
		t.Errorf("%d escalations, want 1", len(all))
	}
}

// TestStoreDownSpools: with the database gone the patient still gets the
// engine's reply (911 for an emergency) and the message waits in the spool.
func TestStoreDownSpools(t *testing.T) {
	e := newEnv(t, options{})
	e.st.Close()
	r := e.send("", "i cant breathe after my botox shot")
	if r.Intent != "emergency" || !strings.Contains(r.Reply, "911") {
		t.Fatalf("degraded reply: %+v", r)
	}
	if n := e.spool.Len(); n != 1 {
		t.Fatalf("spooled %d messages, want 1", n)
	}
}

// TestWidgetAndDemo: the script is served with its configuration, and the
// demo page embeds it.
func TestWidgetAndDemo(t *testing.T) {
	e := newEnv(t, options{})
	resp, err := http.Get(e.srv.URL + "/chat/widget.js")
	if err != nil {
		t.Fatal(err)
	}
	js, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") || !bytes.Contains(js, []byte(`"clinic":"Florida Spine and Pain Specialists"`)) ||
		bytes.Contains(js, []byte("/*FAQBOT_CONFIG*/")) || !bytes.Contains(js, []byte(chat.ConsentText("es", "Florida Spine and Pain Specialists"))) {
		t.Errorf("widget.js: %s, config not filled in", resp.Header.Get("Content-Type"))
	}
	resp, err = http.Get(e.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !bytes.Contains(page, []byte(`<script src="/chat/widget.js" async></script>`)) {
		t.Errorf("demo page: %s %.200s", resp.Header.Get("Content-Type"), page)
	}
}

// TestStreamsAreBounded: one address cannot hold more than a handful of
// event streams open.
func TestStreamsAreBounded(t *testing.T) {
	e := newEnv(t, options{})
	r := e.send("", "hello")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := 0; ; i++ {
		req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/chat/v1/events?session="+r.Session, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			resp.Body.Close()
			if i != 10 {
				t.Fatalf("stream %d refused, want the 11th", i+1)
			}
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 || i > 10 {
			t.Fatalf("stream %d: %d", i+1, resp.StatusCode)
		}
	}
}
