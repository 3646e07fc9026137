package twiliotest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	twilio "github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
)

func TestSignDocumentedExample(t *testing.T) {
	params := url.Values{
		"CallSid": {"CA1234567890ABCDE"},
		"Caller":  {"+12349013030"},
		"Digits":  {"1234"},
		"From":    {"+12349013030"},
		"To":      {"+18005551212"},
	}
	got := Sign("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params)
	if want := "0/KCTR6DLpKmkAf8muzZqo1nDgQ="; got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
	body, sig := SignedForm("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params)
	if sig != got {
		t.Fatalf("SignedForm signature %q", sig)
	}
	back, err := url.ParseQuery(body)
	if err != nil || back.Get("Caller") != "+12349013030" {
		t.Fatalf("SignedForm body %q: %v", body, err)
	}
	// twilio-go's own validator agrees.
	v := client.NewRequestValidator("12345")
	m := map[string]string{}
	for k := range params {
		m[k] = params.Get(k)
	}
	if !v.Validate("https://mycompany.com/myapp.php?foo=1&bar=2", m, sig) {
		t.Fatal("twilio-go rejects our signature")
	}
}

// rewrite sends twilio-go's requests to the fake server.
type rewrite struct{ base *url.URL }

func (rw rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = rw.base.Scheme, rw.base.Host, rw.base.Host
	return http.DefaultTransport.RoundTrip(r)
}

func newAPI(t *testing.T, s *Server, sid, token string) *openapi.ApiService {
	t.Helper()
	base, err := url.Parse(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	bc := &client.Client{Credentials: client.NewCredentials(sid, token), HTTPClient: &http.Client{Transport: rewrite{base}, Timeout: 5 * time.Second}}
	bc.SetAccountSid(sid)
	return twilio.NewRestClientWithParams(twilio.ClientParams{Client: bc}).Api
}

func send(api *openapi.ApiService, to, from, body string) (*openapi.ApiV2010Message, error) {
	p := &openapi.CreateMessageParams{}
	p.SetTo(to)
	if strings.HasPrefix(from, "MG") {
		p.SetMessagingServiceSid(from)
	} else {
		p.SetFrom(from)
	}
	p.SetBody(body)
	p.SetStatusCallback("https://bot.example.com/twilio/status")
	return api.CreateMessage(p)
}

func restError(t *testing.T, err error) *client.TwilioRestError {
	t.Helper()
	var te *client.TwilioRestError
	if !errors.As(err, &te) {
		t.Fatalf("error %T %v, want *client.TwilioRestError", err, err)
	}
	return te
}

func TestServerWithTwilioGo(t *testing.T) {
	s := NewServer(t)
	api := newAPI(t, s, s.AccountSID(), s.AuthToken())

	msg, err := send(api, "+15551230001", "+15550000000", "hello")
	if err != nil {
		t.Fatal(err)
	}
	if msg.Sid == nil || len(*msg.Sid) != 34 || !strings.HasPrefix(*msg.Sid, "SM") {
		t.Fatalf("sid %v", msg.Sid)
	}
	if *msg.Status != "queued" || *msg.NumSegments != "1" || *msg.NumMedia != "0" || *msg.To != "+15551230001" {
		t.Fatalf("message %+v", msg)
	}
	if _, err := send(api, "+15551230002", "MG0123", "via service"); err != nil {
		t.Fatal(err)
	}
	got := s.Messages()
	if len(got) != 2 {
		t.Fatalf("%d messages", len(got))
	}
	if got[0].SID != *msg.Sid || got[0].Body != "hello" || got[0].From != "+15550000000" || got[0].StatusCallback != "https://bot.example.com/twilio/status" {
		t.Fatalf("first %+v", got[0])
	}
	if got[1].MessagingServiceSID != "MG0123" || got[1].From != "" {
		t.Fatalf("second %+v", got[1])
	}

	s.FailNext(2, 0)
	for i := 0; i < 2; i++ {
		te := restError(t, func() error { _, err := send(api, "+15551230001", "+15550000000", "x"); return err }())
		if te.Status != 500 || te.Code != 20500 {
			t.Fatalf("fail %d: %+v", i, te)
		}
	}
	if _, err := send(api, "+15551230001", "+15550000000", "after"); err != nil {
		t.Fatal(err)
	}

	s.RejectTo("+15551239999", 21610)
	_, err = send(api, "+15551239999", "+15550000000", "x")
	if te := restError(t, err); te.Status != 400 || te.Code != 21610 {
		t.Fatalf("reject: %+v", te)
	}
	s.RejectTo("+15551239999", 0)
	if _, err := send(api, "+15551239999", "+15550000000", "x"); err != nil {
		t.Fatal(err)
	}
	_, err = send(api, "+15551230001", "+15550000000", strings.Repeat("a", 1601))
	if te := restError(t, err); te.Code != 21617 {
		t.Fatalf("long body: %+v", te)
	}
	if s.Calls() != 8 {
		t.Fatalf("calls = %d, want 8", s.Calls())
	}
	if n := len(s.Messages()); n != 4 {
		t.Fatalf("%d messages, want 4", n)
	}
}

func TestServerChecksCredentials(t *testing.T) {
	s := NewServer(t)
	bad := newAPI(t, s, s.AccountSID(), "wrongtoken")
	_, err := send(bad, "+15551230001", "+15550000000", "x")
	if te := restError(t, err); te.Status != 401 || te.Code != 20003 {
		t.Fatalf("%+v", te)
	}
	if len(s.Messages()) != 0 {
		t.Fatal("stored a message with bad credentials")
	}
}

func TestSegments(t *testing.T) {
	for _, c := range []struct {
		body string
		want int
	}{
		{"hi", 1}, {strings.Repeat("a", 160), 1}, {strings.Repeat("a", 161), 2},
		{strings.Repeat("é", 70), 1}, {strings.Repeat("é", 71), 2},
	} {
		if got := segments(c.body); got != c.want {
			t.Errorf("segments(%d runes) = %d, want %d", len([]rune(c.body)), got, c.want)
		}
	}
}

func TestWaitForMessagesConcurrent(t *testing.T) {
	s := NewServer(t)
	api := newAPI(t, s, s.AccountSID(), s.AuthToken())
	if got := s.WaitForMessages(1, 20*time.Millisecond); len(got) != 0 {
		t.Fatalf("got %d", len(got))
	}
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := send(api, "+15551230001", "+15550000000", "x"); err != nil {
				t.Error(err)
			}
		}()
	}
	got := s.WaitForMessages(10, 5*time.Second)
	wg.Wait()
	if len(got) != 10 || s.Calls() != 10 {
		t.Fatalf("got %d messages, %d calls", len(got), s.Calls())
	}
}

func TestSendStatus(t *testing.T) {
	s := NewServer(t)
	api := newAPI(t, s, s.AccountSID(), s.AuthToken())
	msg, err := send(api, "+15551230001", "+15550000000", "x")
	if err != nil {
		t.Fatal(err)
	}
	var got url.Values
	var hookURL string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		got = r.PostForm
		v := client.NewRequestValidator("hooktoken")
		m := map[string]string{}
		for k := range r.PostForm {
			m[k] = r.PostForm.Get(k)
		}
		if !v.Validate(hookURL, m, r.Header.Get("X-Twilio-Signature")) {
			http.Error(w, "bad signature", http.StatusForbidden)
		}
	}))
	defer hook.Close()
	hookURL = hook.URL + "/twilio/status?x=1"
	if err := s.SendStatus(context.Background(), hookURL, "hooktoken", *msg.Sid, "undelivered"); err != nil {
		t.Fatal(err)
	}
	if got.Get("MessageSid") != *msg.Sid || got.Get("MessageStatus") != "undelivered" || got.Get("To") != "+15551230001" || got.Get("ErrorCode") != "30003" {
		t.Fatalf("form %v", got)
	}
	if err := s.SendStatus(context.Background(), hookURL, "othertoken", *msg.Sid, "delivered"); err == nil {
		t.Fatal("wrongly signed callback accepted")
	}
}
