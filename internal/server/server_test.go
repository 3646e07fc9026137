package server_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flsps/faqbot/internal/browsertest"
	"github.com/flsps/faqbot/internal/config"
	"github.com/flsps/faqbot/internal/logging"
	"github.com/flsps/faqbot/internal/server"
	"github.com/flsps/faqbot/internal/store"
	"github.com/flsps/faqbot/internal/twiliotest"
)

const authToken = "testtoken1234567890"

var sidSeq atomic.Int64

func newSID() string { return fmt.Sprintf("SM%032d", sidSeq.Add(1)) }

// faqDir is the repository's own FAQ.
func faqDir(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "faq")
}

type env struct {
	t      testing.TB
	cfg    *config.Config
	srv    *server.Server
	http   *httptest.Server
	twilio *twiliotest.Server
}

// start runs a server on a fresh (or given) data directory with a local
// Twilio-speaking server behind its REST sends. The public URL is the test
// server's, so requests are signed for it.
func start(t testing.TB, dataDir string, mutate ...func(*config.Config)) *env {
	t.Helper()
	return startLogging(t, dataDir, slog.New(slog.NewTextHandler(io.Discard, nil)), mutate...)
}

func startLogging(t testing.TB, dataDir string, log *slog.Logger, mutate ...func(*config.Config)) *env {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	tw := twiliotest.NewServerWithCredentials(t, "AC00000000000000000000000000000001", authToken)
	e := &env{t: t, twilio: tw}
	// The httptest server must exist before the config names its URL.
	var h atomic.Pointer[http.Handler]
	e.http = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*h.Load()).ServeHTTP(w, r) }))
	t.Cleanup(e.http.Close)
	cfg := config.Defaults()
	cfg.DataDir, cfg.FAQDir = dataDir, faqDir(t)
	cfg.PublicURL = e.http.URL
	cfg.TwilioAccountSID, cfg.TwilioAuthToken, cfg.TwilioFrom = tw.AccountSID(), authToken, "+15615550100"
	cfg.TwilioAPIURL = tw.URL()
	cfg.StaffNumbers = []string{"+15615550199"}
	for _, m := range mutate {
		m(cfg)
	}
	e.cfg = cfg
	srv, err := server.New(context.Background(), server.Options{Config: cfg, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	e.srv = srv
	hh := srv.Handler()
	h.Store(&hh)
	return e
}

// runWorkers starts the background workers until the test ends.
func (e *env) runWorkers() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.srv.Run(ctx); close(done) }()
	e.t.Cleanup(func() { cancel(); <-done })
}

type twimlResponse struct {
	Messages []string `xml:"Message"`
}

// sms posts a signed inbound message and returns the status and the reply
// text ("" for an empty <Response/>).
func (e *env) sms(from, body string, extra ...string) (int, string) {
	return e.smsWithSID(newSID(), from, body, extra...)
}

func (e *env) smsWithSID(sid, from, body string, extra ...string) (int, string) {
	e.t.Helper()
	form := url.Values{"MessageSid": {sid}, "AccountSid": {"AC00000000000000000000000000000001"}, "From": {from}, "To": {"+15615550100"}, "Body": {body}, "NumMedia": {"0"}}
	for i := 0; i+1 < len(extra); i += 2 {
		form.Set(extra[i], extra[i+1])
	}
	req, err := twiliotest.NewSignedRequest(context.Background(), authToken, e.http.URL+"/twilio/sms", form)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.do(req)
}

func (e *env) do(req *http.Request) (int, string) {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return resp.StatusCode, string(b)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
		e.t.Fatalf("Content-Type %q", ct)
	}
	var tr twimlResponse
	if err := xml.Unmarshal(b, &tr); err != nil {
		e.t.Fatalf("TwiML %q: %v", b, err)
	}
	return resp.StatusCode, strings.Join(tr.Messages, "\n")
}

func (e *env) escalations(status ...string) []store.Escalation {
	e.t.Helper()
	list, err := e.srv.Store().Escalations(context.Background(), store.EscalationFilter{Status: status})
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

func TestSignedQuestionIsAnswered(t *testing.T) {
	e := start(t, "")
	code, reply := e.sms("+15615550142", "how long does botox last")
	if code != 200 || !strings.Contains(reply, "3") || !strings.Contains(reply, "6") {
		t.Fatalf("%d %q", code, reply)
	}
	if len(e.escalations()) != 0 {
		t.Fatal("an answered question must not escalate")
	}
}

func TestForgedAndUnsignedAreRefused(t *testing.T) {
	e := start(t, "")
	form := url.Values{"MessageSid": {newSID()}, "From": {"+15615550142"}, "To": {"+15615550100"}, "Body": {"I need to book"}}
	for name, sig := range map[string]string{"unsigned": "", "forged": "bm90IGEgc2lnbmF0dXJl", "other token": twiliotest.Sign("wrongtoken", e.http.URL+"/twilio/sms", form)} {
		req, _ := http.NewRequest(http.MethodPost, e.http.URL+"/twilio/sms", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if sig != "" {
			req.Header.Set("X-Twilio-Signature", sig)
		}
		if code, _ := e.do(req); code != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", name, code)
		}
	}
	if n := len(e.escalations()); n != 0 {
		t.Fatalf("refused requests stored %d escalations", n)
	}
	if _, err := e.srv.Store().Conversation(context.Background(), "sms", "+15615550142"); err == nil {
		t.Fatal("a refused request stored a conversation")
	}
}

func TestNoAuthTokenMeans503(t *testing.T) {
	e := start(t, "", func(c *config.Config) { c.TwilioAuthToken = "" })
	req, _ := http.NewRequest(http.MethodPost, e.http.URL+"/twilio/sms", strings.NewReader("From=%2B15615550142&Body=hi"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	code, body := e.do(req)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "TWILIO_AUTH_TOKEN") {
		t.Fatalf("%d %q", code, body)
	}
}

func TestRetriedMessageSidIsHandledOnce(t *testing.T) {
	e := start(t, "")
	e.runWorkers()
	sid := newSID()
	_, first := e.smsWithSID(sid, "+15615550142", "I'd like to book an appointment for next week")
	var wg sync.WaitGroup
	replies := make([]string, 5)
	for i := range replies {
		wg.Go(func() {
			_, replies[i] = e.smsWithSID(sid, "+15615550142", "I'd like to book an appointment for next week")
		})
	}
	wg.Wait()
	for _, r := range replies {
		if r != first {
			t.Fatalf("retry answered %q, first answer %q", r, first)
		}
	}
	if n := len(e.escalations()); n != 1 {
		t.Fatalf("%d escalations, want 1", n)
	}
	e.twilio.WaitForMessages(1, 5*time.Second)
	time.Sleep(200 * time.Millisecond)
	if n := len(e.twilio.Messages()); n != 1 {
		t.Fatalf("%d staff alerts, want 1", n)
	}
	conv, err := e.srv.Store().Conversation(context.Background(), "sms", "+15615550142")
	if err != nil {
		t.Fatal(err)
	}
	msgs, _ := e.srv.Store().Messages(context.Background(), conv.ID)
	if len(msgs) != 2 {
		t.Fatalf("%d stored messages, want inbound + reply", len(msgs))
	}
}

func TestStopThenSilenceThenStart(t *testing.T) {
	e := start(t, "")
	if _, r := e.sms("+15615550143", "STOP"); r == "" {
		t.Fatal("STOP gets one confirmation")
	}
	if _, r := e.sms("+15615550143", "how long does botox last"); r != "" {
		t.Fatalf("opted-out patient got %q", r)
	}
	if _, r := e.sms("+15615550143", "START"); r == "" {
		t.Fatal("START gets a confirmation")
	}
	if _, r := e.sms("+15615550143", "how long does botox last"); r == "" {
		t.Fatal("after START the bot answers again")
	}
}

func TestNaturalLanguageOptOut(t *testing.T) {
	e := start(t, "")
	e.sms("+15615550144", "please stop texting me")
	if _, r := e.sms("+15615550144", "is botox safe"); r != "" {
		t.Fatalf("opted-out patient got %q", r)
	}
}

func TestAdvancedOptOutIsRespected(t *testing.T) {
	e := start(t, "")
	if _, r := e.sms("+15615550145", "STOP", "OptOutType", "STOP"); r != "" {
		t.Fatalf("Twilio already confirmed the opt-out; we said %q", r)
	}
	if _, r := e.sms("+15615550145", "is botox safe"); r != "" {
		t.Fatalf("opted-out patient got %q", r)
	}
}

func TestBookingAlertsStaffThroughFlakyTwilio(t *testing.T) {
	e := start(t, "")
	e.twilio.FailNext(2, 503)
	w := e.srv.Outbox()
	w.BaseBackoff = 10 * time.Millisecond
	w.Interval = 20 * time.Millisecond
	e.runWorkers()
	_, reply := e.sms("+15615550146", "can i book an appointment for friday")
	if !strings.Contains(strings.ToLower(reply), "staff") {
		t.Fatalf("booking reply %q", reply)
	}
	esc := e.escalations(store.EscOpen)
	if len(esc) != 1 || esc[0].Kind != "booking" || esc[0].Priority != "normal" {
		t.Fatalf("%+v", esc)
	}
	msgs := e.twilio.WaitForMessages(1, 10*time.Second)
	if len(msgs) != 1 || msgs[0].To != "+15615550199" {
		t.Fatalf("staff alert %+v (calls %d)", msgs, e.twilio.Calls())
	}
	if strings.Contains(msgs[0].Body, "friday") || !strings.Contains(msgs[0].Body, fmt.Sprint(esc[0].ID)) {
		t.Fatalf("alert must carry the number and no patient text: %q", msgs[0].Body)
	}
	if e.twilio.Calls() < 3 {
		t.Fatalf("calls %d: the first two should have failed", e.twilio.Calls())
	}
}

func TestRestartBetweenAckAndAlertStillAlerts(t *testing.T) {
	dir := t.TempDir()
	a := start(t, dir)
	_, reply := a.sms("+15615550147", "my lips and tongue are swelling after my shots")
	if !strings.Contains(reply, "911") {
		t.Fatalf("emergency reply %q", reply)
	}
	a.srv.Close() // the process dies before the outbox ran
	b := start(t, dir)
	b.runWorkers()
	msgs := b.twilio.WaitForMessages(1, 10*time.Second)
	if len(msgs) != 1 || !strings.Contains(msgs[0].Body, "URGENT") {
		t.Fatalf("after restart: %+v", msgs)
	}
}

func TestEmergencyIsUrgent(t *testing.T) {
	e := start(t, "")
	_, reply := e.sms("+15615550148", "HELP right after the injections i cant breathe")
	if !strings.Contains(reply, "911") {
		t.Fatalf("%q", reply)
	}
	esc := e.escalations()
	if len(esc) != 1 || esc[0].Priority != "urgent" || esc[0].Kind != "emergency" {
		t.Fatalf("%+v", esc)
	}
}

func TestFollowUpUsesTheConversation(t *testing.T) {
	e := start(t, "")
	e.sms("+15615550149", "does botox help tmj")
	_, reply := e.sms("+15615550149", "and how long does it last?")
	if !strings.Contains(reply, "3") || !strings.Contains(reply, "6") {
		t.Fatalf("follow-up answered %q", reply)
	}
}

func TestClaimedEscalationSilencesTheBot(t *testing.T) {
	e := start(t, "")
	ctx := context.Background()
	e.sms("+15615550150", "can someone call me back please")
	esc := e.escalations()
	if len(esc) != 1 {
		t.Fatalf("%d escalations", len(esc))
	}
	u, err := e.srv.Store().CreateStaff(ctx, "ashley@example.com", "Ashley", "x", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.Store().ClaimEscalation(ctx, esc[0].ID, u.ID, u.Name); err != nil {
		t.Fatal(err)
	}
	if _, r := e.sms("+15615550150", "how long does botox last"); r != "" {
		t.Fatalf("bot answered during a handoff: %q", r)
	}
	if _, r := e.sms("+15615550150", "my eyelid is drooping and i cant see well"); !strings.Contains(r, "911") {
		t.Fatalf("emergency during handoff: %q", r)
	}
	if _, r := e.sms("+15615550150", "stop"); r == "" {
		t.Fatal("opt-out during handoff gets its confirmation")
	}
}

func TestBadInputGetsDefinedOutcomes(t *testing.T) {
	e := start(t, "")
	// Oversized body.
	big := url.Values{"MessageSid": {newSID()}, "From": {"+15615550151"}, "To": {"+15615550100"}, "Body": {strings.Repeat("a", 70<<10)}}
	req, _ := twiliotest.NewSignedRequest(context.Background(), authToken, e.http.URL+"/twilio/sms", big)
	if code, _ := e.do(req); code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized: %d", code)
	}
	// Missing From.
	form := url.Values{"MessageSid": {newSID()}, "To": {"+15615550100"}, "Body": {"hi"}}
	req, _ = twiliotest.NewSignedRequest(context.Background(), authToken, e.http.URL+"/twilio/sms", form)
	if code, body := e.do(req); code != http.StatusBadRequest || !strings.Contains(body, "From") {
		t.Errorf("missing From: %d %q", code, body)
	}
	// Invalid UTF-8 is repaired and answered.
	if code, r := e.sms("+15615550152", "is botox safe\xff\xfe"); code != 200 || r == "" {
		t.Errorf("invalid UTF-8: %d %q", code, r)
	}
	// An empty Body without media is answered like any message that says
	// nothing (a 4xx would be Twilio error 11200).
	if code, r := e.sms("+15615550155", ""); code != 200 || r == "" {
		t.Errorf("empty body: %d %q", code, r)
	}
	// Media only: answered, and staff see it.
	if code, r := e.sms("+15615550153", "", "NumMedia", "1", "MediaUrl0", "https://api.twilio.com/x.jpg"); code != 200 || r == "" {
		t.Errorf("media only: %d %q", code, r)
	}
	// A flood from one number: after the burst, silence (and never a 500).
	silent := 0
	for i := 0; i < 12; i++ {
		code, r := e.sms("+15615550154", fmt.Sprintf("question number %d about botox?", i))
		if code != 200 {
			t.Fatalf("flood: status %d", code)
		}
		if r == "" {
			silent++
		}
	}
	if silent == 0 {
		t.Error("a flood was answered message for message")
	}
}

func TestStatusCallbackIsRecorded(t *testing.T) {
	e := start(t, "")
	e.runWorkers()
	e.sms("+15615550155", "i want to schedule a consult")
	msgs := e.twilio.WaitForMessages(1, 10*time.Second)
	if len(msgs) != 1 {
		t.Fatal("no alert")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if p, _, _ := e.srv.Store().OutboxStats(context.Background()); p == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := e.twilio.SendStatus(context.Background(), e.http.URL+"/twilio/status", authToken, msgs[0].SID, "delivered"); err != nil {
		t.Fatal(err)
	}
	// An unsigned status callback is refused.
	resp, err := http.PostForm(e.http.URL+"/twilio/status", url.Values{"MessageSid": {msgs[0].SID}, "MessageStatus": {"failed"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("unsigned status: %d", resp.StatusCode)
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	e := start(t, "")
	e.sms("+15615550156", "is botox safe")
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "faq_version", "/metrics": "faqbot_messages_total"} {
		resp, err := http.Get(e.http.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Errorf("%s: %d %q", path, resp.StatusCode, b)
		}
	}
}

func TestMain(m *testing.M) {
	browsertest.Main(m) // says so when the browser tests skip
}

func TestStoreDownSpoolsAndReplays(t *testing.T) {
	dir := t.TempDir()
	a := start(t, dir)
	a.srv.Close() // the database goes away under a running server
	code, reply := a.sms("+15615550157", "i need to reschedule my appointment on monday")
	if code != 200 || !strings.Contains(strings.ToLower(reply), "staff") {
		t.Fatalf("store down: %d %q", code, reply)
	}
	if code, reply := a.sms("+15615550158", "my face is swelling and i have hives after botox"); code != 200 || !strings.Contains(reply, "911") {
		t.Fatalf("emergency with store down: %d %q", code, reply)
	}
	b := start(t, dir)
	b.runWorkers()
	deadline := time.Now().Add(10 * time.Second)
	for len(b.escalations()) < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	esc := b.escalations()
	if len(esc) != 2 || esc[0].Kind != "emergency" || esc[1].Kind != "booking" {
		t.Fatalf("after replay: %+v", esc)
	}
}

func TestLogsCarryNoPatientData(t *testing.T) {
	var buf syncBuffer
	e := startLogging(t, "", logging.New(&buf, "json", "debug", false))
	e.runWorkers()
	e.sms("+15615550177", "my lips are swelling after botox")
	e.sms("+15615550177", "how long does botox last")
	e.twilio.WaitForMessages(1, 5*time.Second)
	time.Sleep(100 * time.Millisecond)
	out := buf.String()
	if !strings.Contains(out, "inbound") {
		t.Fatalf("no inbound log lines: %s", out)
	}
	for _, leak := range []string{"5615550177", "swelling", "how long does botox"} {
		if strings.Contains(out, leak) {
			t.Fatalf("logs leak %q:\n%s", leak, out)
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestEarlyStatusCallbackIsNotLost(t *testing.T) {
	e := start(t, "")
	ctx := context.Background()
	e.sms("+15615550178", "can someone call me back")
	conv, err := e.srv.Store().Conversation(ctx, "sms", "+15615550178")
	if err != nil {
		t.Fatal(err)
	}
	msg, err := e.srv.Store().QueueOutbound(ctx, conv.ID, store.AuthorStaff, "Calling you in 5 minutes")
	if err != nil {
		t.Fatal(err)
	}
	const sid = "SM0000000000000000000000000000beef"
	form := url.Values{"MessageSid": {sid}, "MessageStatus": {"delivered"}, "AccountSid": {"AC00000000000000000000000000000001"}}
	req, _ := twiliotest.NewSignedRequest(ctx, authToken, e.http.URL+"/twilio/status", form)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("status callback: %d", resp.StatusCode)
	}
	// Only now does the outbox record the SID Twilio gave the send.
	items, err := e.srv.Store().ClaimOutbox(ctx, time.Now().Add(time.Hour), 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.MessageID != nil && *it.MessageID == msg.ID {
			if err := e.srv.Store().OutboxSent(ctx, it.ID, sid); err != nil {
				t.Fatal(err)
			}
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		m, err := e.srv.Store().Message(ctx, msg.ID)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status == store.MsgDelivered {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("status %q, want delivered", m.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WhatsApp's ProfileName becomes the patient's name for staff, unless the
// conversation already has one (staff may have typed it).
func TestWhatsAppProfileNameNamesThePatient(t *testing.T) {
	e := start(t, "")
	from := "whatsapp:+15615550149"
	e.sms(from, "can I book a consult for next week?", "ProfileName", "Margaret Collins")
	list := e.escalations()
	if len(list) != 1 || list[0].PatientName != "Margaret Collins" {
		t.Fatalf("%+v", list)
	}
	e.sms(from, "thanks", "ProfileName", "Maggie")
	if list := e.escalations(); list[0].PatientName != "Margaret Collins" {
		t.Fatalf("renamed: %+v", list)
	}
}
