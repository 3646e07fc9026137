package sms

import (
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/flsps/faqbot/internal/twiliotest"
)

// Twilio's documented signature example.
const (
	docToken = "12345"
	docURL   = "https://mycompany.com/myapp.php?foo=1&bar=2"
	docSig   = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
)

func docParams() url.Values {
	return url.Values{
		"CallSid": {"CA1234567890ABCDE"},
		"Caller":  {"+12349013030"},
		"Digits":  {"1234"},
		"From":    {"+12349013030"},
		"To":      {"+18005551212"},
	}
}

// request builds a POST as the server sees it: target is what reaches the
// server (e.g. http://127.0.0.1:8080/... behind a proxy).
func request(t *testing.T, target string, form url.Values, sig string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if sig != "" {
		r.Header.Set(SignatureHeader, sig)
	}
	if err := r.ParseForm(); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestVerifyDocumentedExample(t *testing.T) {
	// The server is reached directly over TLS at the URL Twilio signed.
	r := request(t, docURL, docParams(), docSig)
	if r.TLS == nil {
		r.TLS = &tls.ConnectionState{}
	}
	v := &Verifier{AuthToken: docToken}
	if got := v.URLFor(r); got != docURL {
		t.Fatalf("URLFor = %q", got)
	}
	if err := v.Verify(r); err != nil {
		t.Fatalf("documented example: %v", err)
	}
	// Same with the public URL configured (trailing slash is harmless).
	v = &Verifier{AuthToken: docToken, PublicURL: "https://mycompany.com/"}
	if err := v.Verify(r); err != nil {
		t.Fatalf("with PublicURL: %v", err)
	}
}

func TestVerifyRejects(t *testing.T) {
	v := &Verifier{AuthToken: docToken, PublicURL: "https://mycompany.com"}

	changed := docParams()
	changed.Set("Digits", "1235")
	if err := v.Verify(request(t, docURL, changed, docSig)); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("changed param: %v", err)
	}
	added := docParams()
	added.Set("Body", "hi")
	if err := v.Verify(request(t, docURL, added, docSig)); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("added param: %v", err)
	}
	other := &Verifier{AuthToken: "54321", PublicURL: "https://mycompany.com"}
	if err := other.Verify(request(t, docURL, docParams(), docSig)); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("other token: %v", err)
	}
	if err := v.Verify(request(t, "https://mycompany.com/myapp.php?foo=1&bar=3", docParams(), docSig)); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("other query: %v", err)
	}
	if err := v.Verify(request(t, docURL, docParams(), "")); !errors.Is(err, ErrNoSignature) {
		t.Fatalf("no signature: %v", err)
	}
	none := &Verifier{PublicURL: "https://mycompany.com"}
	if err := none.Verify(request(t, docURL, docParams(), docSig)); !errors.Is(err, ErrNoAuthToken) {
		t.Fatalf("no token: %v", err)
	}
}

func TestVerifyBehindTLSProxy(t *testing.T) {
	// A TLS terminator forwards https://mycompany.com/... to
	// http://127.0.0.1:8080/...: the server sees neither the scheme nor the
	// host Twilio signed.
	const inside = "http://127.0.0.1:8080/myapp.php?foo=1&bar=2"
	proxied := func() *http.Request {
		r := request(t, inside, docParams(), docSig)
		r.Header.Set("X-Forwarded-Proto", "https")
		r.Header.Set("X-Forwarded-Host", "mycompany.com")
		return r
	}

	if err := (&Verifier{AuthToken: docToken}).Verify(request(t, inside, docParams(), docSig)); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("no public URL, no proxy trust: %v", err)
	}
	v := &Verifier{AuthToken: docToken, PublicURL: "https://mycompany.com"}
	if err := v.Verify(request(t, inside, docParams(), docSig)); err != nil {
		t.Fatalf("PublicURL: %v", err)
	}

	trust := &Verifier{AuthToken: docToken, TrustProxy: true}
	if got := trust.URLFor(proxied()); got != docURL {
		t.Fatalf("URLFor with X-Forwarded-* = %q", got)
	}
	if err := trust.Verify(proxied()); err != nil {
		t.Fatalf("TrustProxy: %v", err)
	}
	// Comma lists (proxy chains): the first value is the client-facing one.
	r := proxied()
	r.Header.Set("X-Forwarded-Proto", "https, http")
	r.Header.Set("X-Forwarded-Host", "mycompany.com, 10.0.0.5:8080")
	if err := trust.Verify(r); err != nil {
		t.Fatalf("TrustProxy with lists: %v", err)
	}

	// Without TrustProxy the headers are ignored.
	untrusted := &Verifier{AuthToken: docToken}
	if got := untrusted.URLFor(proxied()); got != inside {
		t.Fatalf("URLFor ignoring X-Forwarded-* = %q", got)
	}
	if err := untrusted.Verify(proxied()); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("X-Forwarded-* must be ignored without TrustProxy: %v", err)
	}
	// PublicURL wins over forwarded headers.
	r = proxied()
	r.Header.Set("X-Forwarded-Host", "evil.example")
	pub := &Verifier{AuthToken: docToken, PublicURL: "https://mycompany.com", TrustProxy: true}
	if err := pub.Verify(r); err != nil {
		t.Fatalf("PublicURL over X-Forwarded-Host: %v", err)
	}
}

func TestVerifyParsesFormItself(t *testing.T) {
	body, sig := twiliotest.SignedForm("tok", "https://bot.example.com/twilio/sms", url.Values{"Body": {"hi"}, "From": {"+15551234567"}})
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080/twilio/sms", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set(SignatureHeader, sig)
	v := &Verifier{AuthToken: "tok", PublicURL: "https://bot.example.com"}
	if err := v.Verify(r); err != nil {
		t.Fatal(err)
	}
	if r.PostForm.Get("Body") != "hi" {
		t.Fatal("form not parsed")
	}
}

// TestVerifyRealServer goes through a real listener and a path prefix.
func TestVerifyRealServer(t *testing.T) {
	v := &Verifier{AuthToken: "tok", PublicURL: "https://bot.example.com/faq"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		if err := v.Verify(r); err != nil {
			http.Error(w, err.Error(), 403)
			return
		}
		WriteTwiML(w, "ok")
	}))
	defer srv.Close()
	form := url.Values{"MessageSid": {"SM1"}, "Body": {"hé & <b>"}, "From": {"whatsapp:+15551234567"}}
	body, sig := twiliotest.SignedForm("tok", "https://bot.example.com/faq/twilio/sms?x=a%20b", form)
	post := func(sig string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/twilio/sms?x=a%20b", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set(SignatureHeader, sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(sig); code != 200 {
		t.Fatalf("signed: %d", code)
	}
	if code := post("AAAA" + sig[4:]); code != 403 {
		t.Fatalf("forged: %d", code)
	}
}
