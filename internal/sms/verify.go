// Package sms is the Twilio SMS/WhatsApp channel edge: webhook verification
// and parsing, TwiML, REST sends.
//
// It holds no routing and no storage: the HTTP server wires Verifier,
// ParseInbound, ParseStatus and WriteTwiML into its handlers, and the outbox
// uses Sender and IsPermanent.
package sms

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/twilio/twilio-go/client"
)

// Signature errors. A handler answers ErrNoSignature and ErrBadSignature
// with 403 and ErrNoAuthToken with 503 (misconfiguration).
var (
	ErrNoAuthToken  = errors.New("sms: no Twilio auth token configured, cannot verify webhook signatures")
	ErrNoSignature  = errors.New("sms: request has no X-Twilio-Signature")
	ErrBadSignature = errors.New("sms: X-Twilio-Signature does not match")
)

// SignatureHeader is the header Twilio signs webhook requests with.
const SignatureHeader = "X-Twilio-Signature"

// Verifier checks Twilio webhook signatures.
type Verifier struct {
	// AuthToken is the account's auth token (the HMAC key).
	AuthToken string
	// PublicURL is the base URL Twilio calls, e.g. "https://bot.example.com"
	// (a path prefix a proxy strips may be included). When set, it wins
	// over everything the request says about its own scheme and host.
	PublicURL string
	// TrustProxy makes X-Forwarded-Proto and X-Forwarded-Host count when
	// PublicURL is empty. Leave it off unless a proxy you run sets them:
	// otherwise clients choose the URL the signature is checked against.
	TrustProxy bool
}

// URLFor is the URL Twilio is taken to have called for r, the one the
// signature is computed over.
func (v *Verifier) URLFor(r *http.Request) string {
	uri := r.URL.RequestURI()
	if v.PublicURL != "" {
		return strings.TrimRight(v.PublicURL, "/") + uri
	}
	scheme, host := "http", r.Host
	if r.TLS != nil {
		scheme = "https"
	}
	if v.TrustProxy {
		if p := strings.ToLower(firstValue(r.Header.Get("X-Forwarded-Proto"))); p == "http" || p == "https" {
			scheme = p
		}
		if h := firstValue(r.Header.Get("X-Forwarded-Host")); h != "" {
			host = h
		}
	}
	return scheme + "://" + host + uri
}

// firstValue is the first element of a comma-separated header value, as
// proxies append their own: "https, http" -> "https".
func firstValue(s string) string {
	if i := strings.IndexByte(s, ','); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// Verify checks r's X-Twilio-Signature against URLFor(r) and the POST form
// (first value of each key). Call it after r.ParseForm (it parses the form
// itself if that was not done). It returns nil, ErrNoAuthToken,
// ErrNoSignature, an error wrapping ErrBadSignature (with the URL it
// checked, the usual culprit), or a form parsing error.
func (v *Verifier) Verify(r *http.Request) error {
	if v.AuthToken == "" {
		return ErrNoAuthToken
	}
	sig := r.Header.Get(SignatureHeader)
	if sig == "" {
		return ErrNoSignature
	}
	if r.PostForm == nil {
		if err := r.ParseForm(); err != nil {
			return fmt.Errorf("sms: parse form: %w", err)
		}
	}
	params := make(map[string]string, len(r.PostForm))
	for k, vs := range r.PostForm {
		if len(vs) > 0 {
			params[k] = vs[0]
		}
	}
	u := v.URLFor(r)
	validator := client.NewRequestValidator(v.AuthToken)
	if !validator.Validate(u, params, sig) {
		return fmt.Errorf("%w (checked against %s)", ErrBadSignature, u)
	}
	return nil
}
