// Package twiliotest is a local HTTP server that speaks Twilio's Messages
// API, for tests.
//
// It answers POST /2010-04-01/Accounts/{AccountSid}/Messages.json the way
// Twilio does (201 and a Message resource as JSON, or a Twilio error JSON), so
// code built on twilio-go can be pointed at it by rewriting the REST base URL.
// It also signs webhook requests the way Twilio does (Sign, SignedForm,
// SendStatus), for tests of webhook handlers.
package twiliotest

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// Default credentials of a Server made by NewServer. twilio-go refuses
// credentials that are not alphanumeric, so these are.
const (
	DefaultAccountSID = "AC00000000000000000000000000000001"
	DefaultAuthToken  = "faketoken0123456789abcdef01234567"
)

// SentMessage is one message the server accepted.
type SentMessage struct {
	SID                 string
	To                  string
	From                string
	MessagingServiceSID string
	Body                string
	StatusCallback      string
	Form                url.Values // the whole request form
	Created             time.Time
}

// Server is a fake Twilio REST API. All methods are safe for concurrent use.
type Server struct {
	srv        *httptest.Server
	accountSID string
	authToken  string

	mu         sync.Mutex
	calls      int
	failN      int
	failStatus int
	reject     map[string]int
	msgs       []SentMessage
	changed    chan struct{} // closed and replaced whenever msgs grows
}

// NewServer starts a server with DefaultAccountSID and DefaultAuthToken; it
// is closed when the test ends.
func NewServer(t testing.TB) *Server {
	return NewServerWithCredentials(t, DefaultAccountSID, DefaultAuthToken)
}

// NewServerWithCredentials starts a server that accepts only the given
// account SID and auth token (HTTP basic auth, and the SID in the path).
func NewServerWithCredentials(t testing.TB, accountSID, authToken string) *Server {
	t.Helper()
	s := &Server{
		accountSID: accountSID,
		authToken:  authToken,
		reject:     map[string]int{},
		changed:    make(chan struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2010-04-01/Accounts/{AccountSid}/Messages.json", s.createMessage)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
	})
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the server's base URL ("http://127.0.0.1:port"), to use in place of
// https://api.twilio.com.
func (s *Server) URL() string { return s.srv.URL }

// AccountSID is the account SID the server accepts.
func (s *Server) AccountSID() string { return s.accountSID }

// AuthToken is the auth token the server accepts.
func (s *Server) AuthToken() string { return s.authToken }

// FailNext makes the next n create-message calls fail with the given HTTP
// status (500 if status is 0) and a Twilio error JSON, code 20000+status
// (20500, 20503, 20429...).
func (s *Server) FailNext(n int, status int) {
	if status == 0 {
		status = http.StatusInternalServerError
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failN, s.failStatus = n, status
}

// RejectTo makes every message to number fail with the Twilio error code
// (for example 21610, unsubscribed recipient) and status 400 (401 for 20003,
// 429 for 20429). A code of 0 removes the rule.
func (s *Server) RejectTo(number string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == 0 {
		delete(s.reject, number)
		return
	}
	s.reject[number] = code
}

// Messages returns a copy of the messages accepted so far, oldest first.
func (s *Server) Messages() []SentMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SentMessage(nil), s.msgs...)
}

// WaitForMessages waits until at least n messages were accepted or the
// timeout passes, and returns the messages accepted by then (fewer than n on
// timeout).
func (s *Server) WaitForMessages(n int, timeout time.Duration) []SentMessage {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if len(s.msgs) >= n {
			out := append([]SentMessage(nil), s.msgs...)
			s.mu.Unlock()
			return out
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			return s.Messages()
		}
	}
}

// Calls is the number of create-message requests received, failed or not.
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

var errorMessages = map[int]string{
	20003: "Authenticate",
	20404: "The requested resource was not found",
	20429: "Too Many Requests",
	20500: "Internal Server Error",
	20503: "Service Unavailable",
	21211: "The 'To' number is not a valid phone number.",
	21408: "Permission to send an SMS has not been enabled for the region indicated by the 'To' number",
	21602: "Message body is required.",
	21603: "The 'From' phone number is required.",
	21604: "A 'To' phone number is required.",
	21610: "Attempt to send to unsubscribed recipient",
	21612: "The 'To' phone number is not currently reachable via SMS",
	21614: "'To' number is not a valid mobile number",
	21617: "The concatenated message body exceeds the 1600 character limit.",
}

func statusForCode(code int) int {
	switch code {
	case 20003:
		return http.StatusUnauthorized
	case 20404:
		return http.StatusNotFound
	case 20429:
		return http.StatusTooManyRequests
	}
	if code >= 20500 && code < 20600 {
		return code - 20000
	}
	return http.StatusBadRequest
}

func writeError(w http.ResponseWriter, status, code int, msg string) {
	if msg == "" {
		msg = errorMessages[code]
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"code":      code,
		"message":   msg,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code),
		"status":    status,
	})
}

func (s *Server) createMessage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.calls++
	if s.failN > 0 {
		s.failN--
		status := s.failStatus
		s.mu.Unlock()
		writeError(w, status, 20000+status, "")
		return
	}
	s.mu.Unlock()

	user, pass, ok := r.BasicAuth()
	if !ok || user != s.accountSID || pass != s.authToken {
		writeError(w, http.StatusUnauthorized, 20003, "")
		return
	}
	if r.PathValue("AccountSid") != s.accountSID {
		writeError(w, http.StatusNotFound, 20404, "")
		return
	}
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, 20001, "bad form: "+err.Error())
		return
	}
	f := r.PostForm
	m := SentMessage{
		To:                  f.Get("To"),
		From:                f.Get("From"),
		MessagingServiceSID: f.Get("MessagingServiceSid"),
		Body:                f.Get("Body"),
		StatusCallback:      f.Get("StatusCallback"),
		Form:                f,
		Created:             time.Now().UTC(),
	}
	switch {
	case m.To == "":
		writeError(w, http.StatusBadRequest, 21604, "")
		return
	case m.From == "" && m.MessagingServiceSID == "":
		writeError(w, http.StatusBadRequest, 21603, "")
		return
	case m.Body == "" && f.Get("MediaUrl") == "" && f.Get("ContentSid") == "":
		writeError(w, http.StatusBadRequest, 21602, "")
		return
	case utf8.RuneCountInString(m.Body) > 1600:
		writeError(w, http.StatusBadRequest, 21617, "")
		return
	}

	s.mu.Lock()
	if code, ok := s.reject[m.To]; ok {
		s.mu.Unlock()
		writeError(w, statusForCode(code), code, "")
		return
	}
	m.SID = newSID("SM")
	s.msgs = append(s.msgs, m)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()

	date := m.Created.Format(time.RFC1123Z)
	var from, msid any
	if m.From != "" {
		from = m.From
	}
	if m.MessagingServiceSID != "" {
		msid = m.MessagingServiceSID
	}
	uri := "/2010-04-01/Accounts/" + s.accountSID + "/Messages/" + m.SID
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"account_sid":           s.accountSID,
		"api_version":           "2010-04-01",
		"body":                  m.Body,
		"date_created":          date,
		"date_sent":             nil,
		"date_updated":          date,
		"direction":             "outbound-api",
		"error_code":            nil,
		"error_message":         nil,
		"from":                  from,
		"messaging_service_sid": msid,
		"num_media":             "0",
		"num_segments":          strconv.Itoa(segments(m.Body)),
		"price":                 nil,
		"price_unit":            "USD",
		"sid":                   m.SID,
		"status":                "queued",
		"subresource_uris":      map[string]string{"media": uri + "/Media.json"},
		"to":                    m.To,
		"uri":                   uri + ".json",
	})
}

// segments estimates the SMS segment count: GSM-7 (approximated as ASCII)
// fits 160 characters in one segment and 153 per segment after; UCS-2 fits
// 70 and 67.
func segments(body string) int {
	n := utf8.RuneCountInString(body)
	one, many := 160, 153
	for _, r := range body {
		if r > 127 {
			one, many = 70, 67
			break
		}
	}
	if n <= one {
		return 1
	}
	return (n + many - 1) / many
}

func newSID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// Sign computes the X-Twilio-Signature Twilio sends with a webhook request:
// base64(HMAC-SHA1(authToken, url + each form key and value, keys sorted)).
// Like twilio-go's RequestValidator, it uses the first value of each key.
func Sign(authToken, url string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(url)
	for _, k := range keys {
		b.WriteString(k)
		if vs := params[k]; len(vs) > 0 {
			b.WriteString(vs[0])
		}
	}
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// SignedForm encodes params as a form body and signs it for url: send body
// with Content-Type application/x-www-form-urlencoded and the signature in
// the X-Twilio-Signature header.
func SignedForm(authToken, url string, params url.Values) (body string, signature string) {
	return params.Encode(), Sign(authToken, url, params)
}

// NewSignedRequest builds a signed webhook POST to url (which is both the
// request's target and the URL signed, as when no proxy is in between).
func NewSignedRequest(ctx context.Context, authToken, url string, params url.Values) (*http.Request, error) {
	body, sig := SignedForm(authToken, url, params)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", sig)
	return req, nil
}

// SendStatus posts a signed delivery-status callback for the message sid to
// callbackURL, as Twilio does (MessageSid, MessageStatus and their Sms*
// aliases, AccountSid, To and From of the message when the server sent it,
// ErrorCode 30003 for "undelivered" and "failed"). A non-2xx answer is an
// error.
func (s *Server) SendStatus(ctx context.Context, callbackURL, authToken, sid, status string) error {
	form := url.Values{
		"MessageSid":    {sid},
		"SmsSid":        {sid},
		"MessageStatus": {status},
		"SmsStatus":     {status},
		"AccountSid":    {s.accountSID},
		"ApiVersion":    {"2010-04-01"},
	}
	for _, m := range s.Messages() {
		if m.SID == sid {
			form.Set("To", m.To)
			if m.From != "" {
				form.Set("From", m.From)
			}
			if m.MessagingServiceSID != "" {
				form.Set("MessagingServiceSid", m.MessagingServiceSID)
			}
		}
	}
	if status == "undelivered" || status == "failed" {
		form.Set("ErrorCode", "30003")
	}
	req, err := NewSignedRequest(ctx, authToken, callbackURL, form)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("twiliotest: status callback answered %s", resp.Status)
	}
	return nil
}
