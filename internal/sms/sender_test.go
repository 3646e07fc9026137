package sms

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/flsps/faqbot/internal/twiliotest"
	"github.com/twilio/twilio-go/client"
)

func newTestSender(t *testing.T, srv *twiliotest.Server, from string) *Sender {
	t.Helper()
	s, err := NewSender(SenderConfig{
		APIURL:         srv.URL(),
		AccountSID:     srv.AccountSID(),
		AuthToken:      srv.AuthToken(),
		From:           from,
		StatusCallback: "https://bot.example.com/twilio/status",
		Timeout:        5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSendSuccess(t *testing.T) {
	srv := twiliotest.NewServer(t)
	s := newTestSender(t, srv, "+15550000000")
	sid, err := s.Send(context.Background(), "+15551234567", "New booking request #12")
	if err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	m := msgs[0]
	if sid != m.SID || !strings.HasPrefix(sid, "SM") || len(sid) != 34 {
		t.Fatalf("sid %q, server %q", sid, m.SID)
	}
	if m.To != "+15551234567" || m.From != "+15550000000" || m.MessagingServiceSID != "" ||
		m.Body != "New booking request #12" || m.StatusCallback != "https://bot.example.com/twilio/status" {
		t.Fatalf("sent %+v", m)
	}
}

func TestSendMessagingServiceAndWhatsApp(t *testing.T) {
	srv := twiliotest.NewServer(t)
	if _, err := newTestSender(t, srv, "MG0123456789abcdef0123456789abcdef").Send(context.Background(), "+15551234567", "x"); err != nil {
		t.Fatal(err)
	}
	if _, err := newTestSender(t, srv, "+15550000000").Send(context.Background(), "whatsapp:+15551234567", "y"); err != nil {
		t.Fatal(err)
	}
	if _, err := newTestSender(t, srv, "whatsapp:+15550000000").Send(context.Background(), "whatsapp:+15551234567", "z"); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if msgs[0].MessagingServiceSID != "MG0123456789abcdef0123456789abcdef" || msgs[0].From != "" {
		t.Fatalf("messaging service: %+v", msgs[0])
	}
	if msgs[1].From != "whatsapp:+15550000000" || msgs[1].To != "whatsapp:+15551234567" {
		t.Fatalf("whatsapp: %+v", msgs[1])
	}
	if msgs[2].From != "whatsapp:+15550000000" {
		t.Fatalf("whatsapp From kept: %+v", msgs[2])
	}
}

func TestSendServerErrorIsTransient(t *testing.T) {
	srv := twiliotest.NewServer(t)
	s := newTestSender(t, srv, "+15550000000")
	srv.FailNext(1, 500)
	_, err := s.Send(context.Background(), "+15551234567", "x")
	if err == nil || IsPermanent(err) {
		t.Fatalf("500: err %v, permanent %v", err, IsPermanent(err))
	}
	if code, status, ok := TwilioError(err); !ok || code != 20500 || status != 500 {
		t.Fatalf("TwilioError = %d %d %v", code, status, ok)
	}
	if strings.Contains(err.Error(), "1234567") {
		t.Fatalf("error shows the whole number: %v", err)
	}
	srv.FailNext(1, 429)
	if _, err := s.Send(context.Background(), "+15551234567", "x"); err == nil || IsPermanent(err) {
		t.Fatalf("429: %v", err)
	}
	if _, err := s.Send(context.Background(), "+15551234567", "x"); err != nil {
		t.Fatalf("after failures: %v", err)
	}
}

func TestSendUnsubscribedIsPermanent(t *testing.T) {
	srv := twiliotest.NewServer(t)
	s := newTestSender(t, srv, "+15550000000")
	srv.RejectTo("+15551234567", 21610)
	_, err := s.Send(context.Background(), "+15551234567", "x")
	if !IsPermanent(err) {
		t.Fatalf("21610 not permanent: %v", err)
	}
	if code, _, _ := TwilioError(err); code != 21610 {
		t.Fatalf("code %d", code)
	}
}

func TestSendBadCredentialsIsPermanent(t *testing.T) {
	srv := twiliotest.NewServer(t)
	s, err := NewSender(SenderConfig{APIURL: srv.URL(), AccountSID: srv.AccountSID(), AuthToken: "wrongtoken", From: "+15550000000"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send(context.Background(), "+15551234567", "x"); !IsPermanent(err) {
		t.Fatalf("20003 not permanent: %v", err)
	}
}

func TestSendRefusesInvalidMessages(t *testing.T) {
	srv := twiliotest.NewServer(t)
	s := newTestSender(t, srv, "+15550000000")
	for _, c := range []struct{ to, body string }{
		{"", "x"}, {"+15551234567", ""}, {"+15551234567", strings.Repeat("a", MaxBodyChars+1)},
	} {
		_, err := s.Send(context.Background(), c.to, c.body)
		if !errors.Is(err, ErrInvalidMessage) || !IsPermanent(err) {
			t.Errorf("Send(%q, %d chars) = %v", c.to, len(c.body), err)
		}
	}
	if srv.Calls() != 0 {
		t.Fatalf("%d calls reached Twilio", srv.Calls())
	}
}

func TestNewSenderChecksConfig(t *testing.T) {
	ok := SenderConfig{AccountSID: "AC123", AuthToken: "tok123", From: "+15550000000"}
	if _, err := NewSender(ok); err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(*SenderConfig){
		"no sid":             func(c *SenderConfig) { c.AccountSID = "" },
		"no token":           func(c *SenderConfig) { c.AuthToken = "" },
		"token with symbols": func(c *SenderConfig) { c.AuthToken = "tok-123" },
		"no from":            func(c *SenderConfig) { c.From = "" },
		"bad url":            func(c *SenderConfig) { c.APIURL = "api.twilio.com" },
	} {
		c := ok
		edit(&c)
		if _, err := NewSender(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSendNetworkErrorsAreTransient(t *testing.T) {
	// Nothing listens there.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s, err := NewSender(SenderConfig{APIURL: "http://" + addr, AccountSID: "AC1", AuthToken: "t1", From: "+15550000000"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send(context.Background(), "+15551234567", "x"); err == nil || IsPermanent(err) {
		t.Fatalf("connection refused: %v", err)
	}

	// A server that answers garbage HTML with 502.
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "<html>bad gateway</html>", http.StatusBadGateway)
	}))
	defer html.Close()
	s, _ = NewSender(SenderConfig{APIURL: html.URL, AccountSID: "AC1", AuthToken: "t1", From: "+15550000000"})
	if _, err := s.Send(context.Background(), "+15551234567", "x"); err == nil || IsPermanent(err) {
		t.Fatalf("502 html: %v", err)
	}
}

func TestSendHonoursContextAndTimeout(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)

	s, _ := NewSender(SenderConfig{APIURL: slow.URL, AccountSID: "AC1", AuthToken: "t1", From: "+15550000000"})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.Send(ctx, "+15551234567", "x")
	if err == nil || IsPermanent(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ctx deadline: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v", d)
	}

	s, _ = NewSender(SenderConfig{APIURL: slow.URL, AccountSID: "AC1", AuthToken: "t1", From: "+15550000000", Timeout: 100 * time.Millisecond})
	if _, err := s.Send(context.Background(), "+15551234567", "x"); err == nil || IsPermanent(err) {
		t.Fatalf("client timeout: %v", err)
	}

	cancelled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := s.Send(cancelled, "+15551234567", "x"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestAPIURLPathPrefix(t *testing.T) {
	srv := twiliotest.NewServer(t)
	var got string
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.Path
		http.StripPrefix("/twilio-mock", proxyTo(t, srv.URL())).ServeHTTP(w, r)
	}))
	defer front.Close()
	s, err := NewSender(SenderConfig{APIURL: front.URL + "/twilio-mock/", AccountSID: srv.AccountSID(), AuthToken: srv.AuthToken(), From: "+15550000000"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send(context.Background(), "+15551234567", "x"); err != nil {
		t.Fatal(err)
	}
	if want := "/twilio-mock/2010-04-01/Accounts/" + srv.AccountSID() + "/Messages.json"; got != want {
		t.Fatalf("path %q, want %q", got, want)
	}
}

func proxyTo(t *testing.T, base string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := http.NewRequestWithContext(r.Context(), r.Method, base+r.URL.Path, r.Body)
		if err != nil {
			t.Error(err)
			return
		}
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	})
}

func TestIsPermanentClassification(t *testing.T) {
	if IsPermanent(nil) || IsPermanent(errors.New("x")) || IsPermanent(context.DeadlineExceeded) {
		t.Fatal("plain errors are transient")
	}
	for _, c := range []struct {
		code, status int
		want         bool
	}{
		{21610, 400, true}, {21211, 400, true}, {21614, 400, true}, {21408, 400, true},
		{21612, 400, true}, {21617, 400, true}, {20003, 401, true}, {21222, 400, true},
		{29999, 400, true}, {20404, 404, true}, {21610, 0, true},
		{20408, 408, false}, {20429, 429, false}, {20500, 500, false}, {20503, 503, false}, {0, 0, false},
	} {
		err := fmt.Errorf("outbox: %w", &client.TwilioRestError{Code: c.code, Status: c.status})
		if got := IsPermanent(err); got != c.want {
			t.Errorf("IsPermanent(code %d, status %d) = %v", c.code, c.status, got)
		}
	}
}
