package sms

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	twilio "github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/flsps/faqbot/internal/phone"
)

// DefaultAPIURL is Twilio's REST base URL.
const DefaultAPIURL = "https://api.twilio.com"

// ErrInvalidMessage is an outbound message refused before calling Twilio
// (no recipient, empty or too long body). It is permanent.
var ErrInvalidMessage = errors.New("sms: invalid outbound message")

// SenderConfig configures a Sender.
type SenderConfig struct {
	// APIURL replaces Twilio's REST base URL (scheme, host and an optional
	// path prefix); default DefaultAPIURL. Tests point it at twiliotest.
	APIURL     string
	AccountSID string
	AuthToken  string
	// From is the sender: an E.164 number, "whatsapp:+…", or a Messaging
	// Service SID ("MG…").
	From string
	// StatusCallback, when set, is the URL Twilio posts delivery statuses to.
	StatusCallback string
	// Timeout bounds each REST call; default 10 s.
	Timeout time.Duration
	// Transport is the underlying HTTP transport; default a clone of
	// http.DefaultTransport.
	Transport http.RoundTripper
}

// Sender sends messages through Twilio's REST API (twilio-go). It is safe
// for concurrent use.
type Sender struct {
	cfg  SenderConfig
	base *url.URL
	next http.RoundTripper
}

// NewSender checks cfg and returns a Sender. Account SID and auth token must
// be ASCII letters and digits: twilio-go refuses anything else.
func NewSender(cfg SenderConfig) (*Sender, error) {
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	base, err := url.Parse(cfg.APIURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("sms: Twilio API URL %q is not an http(s) base URL", cfg.APIURL)
	}
	base.Path = strings.TrimRight(base.Path, "/")
	if cfg.AccountSID == "" || cfg.AuthToken == "" {
		return nil, errors.New("sms: Twilio account SID and auth token are required")
	}
	if !isAlnum(cfg.AccountSID) || !isAlnum(cfg.AuthToken) {
		return nil, errors.New("sms: Twilio account SID and auth token must be letters and digits only")
	}
	if cfg.From == "" {
		return nil, errors.New("sms: a From number or Messaging Service SID is required")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	next := cfg.Transport
	if next == nil {
		next = http.DefaultTransport.(*http.Transport).Clone()
	}
	return &Sender{cfg: cfg, base: base, next: next}, nil
}

// rewrite sends twilio-go's requests to the configured base URL, and gives
// them the caller's context (twilio-go builds them on context.Background).
type rewrite struct {
	ctx  context.Context
	base *url.URL
	next http.RoundTripper
}

func (t *rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(t.ctx)
	r.URL.Scheme = t.base.Scheme
	r.URL.Host = t.base.Host
	r.Host = t.base.Host
	if t.base.Path != "" {
		r.URL.Path = t.base.Path + r.URL.Path
		r.URL.RawPath = ""
	}
	return t.next.RoundTrip(r)
}

// api builds a twilio-go REST client bound to ctx. It is cheap; building it
// per call is how a context reaches twilio-go's requests.
func (s *Sender) api(ctx context.Context) *openapi.ApiService {
	bc := &client.Client{
		Credentials: client.NewCredentials(s.cfg.AccountSID, s.cfg.AuthToken),
		HTTPClient: &http.Client{
			Transport: &rewrite{ctx: ctx, base: s.base, next: s.next},
			Timeout:   s.cfg.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse // as twilio-go's default client
			},
		},
	}
	bc.SetAccountSid(s.cfg.AccountSID)
	return twilio.NewRestClientWithParams(twilio.ClientParams{Client: bc}).Api
}

// Send sends body to the number to ("+1…" or "whatsapp:+1…") and returns the
// message SID Twilio assigned. With a Messaging Service From it sets
// MessagingServiceSid; a plain-number From gets "whatsapp:" for a WhatsApp
// recipient. Classify errors with IsPermanent. A cancelled or expired ctx
// aborts the call (whether Twilio queued the message is then unknown).
func (s *Sender) Send(ctx context.Context, to, body string) (sid string, err error) {
	to = strings.TrimSpace(to)
	switch {
	case to == "":
		return "", fmt.Errorf("%w: no recipient", ErrInvalidMessage)
	case strings.TrimSpace(body) == "":
		return "", fmt.Errorf("%w: empty body", ErrInvalidMessage)
	case utf8.RuneCountInString(body) > MaxBodyChars:
		return "", fmt.Errorf("%w: body over %d characters", ErrInvalidMessage, MaxBodyChars)
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	p := &openapi.CreateMessageParams{}
	p.SetTo(to)
	p.SetBody(body)
	switch from := s.cfg.From; {
	case strings.HasPrefix(from, "MG"):
		p.SetMessagingServiceSid(from)
	case hasPrefixFold(to, "whatsapp:") && !hasPrefixFold(from, "whatsapp:"):
		p.SetFrom("whatsapp:" + from)
	default:
		p.SetFrom(from)
	}
	if s.cfg.StatusCallback != "" {
		p.SetStatusCallback(s.cfg.StatusCallback)
	}
	msg, err := s.api(ctx).CreateMessage(p)
	if err != nil {
		return "", fmt.Errorf("sms: send to %s: %w", phone.Mask(to), err)
	}
	if msg == nil || msg.Sid == nil || *msg.Sid == "" {
		return "", fmt.Errorf("sms: send to %s: Twilio answered without a message SID", phone.Mask(to))
	}
	return *msg.Sid, nil
}

// permanentCodes are Twilio error codes a retry will not fix.
var permanentCodes = map[int]bool{
	20003: true, // authentication failed
	20404: true, // resource not found (wrong account)
	21211: true, // invalid 'To' number
	21212: true, // invalid 'From' number
	21222: true, // twilio-go: credentials with illegal characters
	21224: true,
	21408: true, // permission to send to this region not enabled
	21602: true, // body required
	21603: true, // 'From' required
	21604: true, // 'To' required
	21606: true, // 'From' not a valid, SMS-capable number for this account
	21608: true, // trial account: unverified 'To'
	21610: true, // recipient unsubscribed (STOP)
	21612: true, // 'To' not reachable via this channel
	21614: true, // 'To' not a mobile number
	21617: true, // body over 1600 characters
	21659: true, // 'From' not a Twilio number
	21910: true, // invalid From/To channel pair
	63016: true, // WhatsApp: outside the 24 h session without a template
}

// IsPermanent reports an error a retry cannot fix: a message refused before
// sending (ErrInvalidMessage) or a Twilio REST error with a known permanent
// code or a 4xx status other than 408 and 429. Server errors (5xx), 429,
// network errors, timeouts, cancellations and undecodable answers are
// transient.
func IsPermanent(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrInvalidMessage) {
		return true
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	code, status, ok := TwilioError(err)
	if !ok {
		return false
	}
	if permanentCodes[code] {
		return true
	}
	switch {
	case status == http.StatusRequestTimeout, status == http.StatusTooManyRequests:
		return false
	case status >= 400 && status < 500:
		return true
	}
	return false
}

// IsUnsubscribed reports Twilio's refusal to text a recipient who opted
// out with the carrier (error 21610): the patient must be treated as
// opted out.
func IsUnsubscribed(err error) bool {
	code, _, ok := TwilioError(err)
	return ok && code == 21610
}

// TwilioError returns the Twilio error code and HTTP status of a REST error
// (for logs and for marking an outbox entry failed), ok false for others.
func TwilioError(err error) (code, status int, ok bool) {
	var te *client.TwilioRestError
	if errors.As(err, &te) {
		return te.Code, te.Status, true
	}
	var v1 *client.RestErrorV1
	if errors.As(err, &v1) {
		return v1.GetCode(), v1.GetHttpStatusCode(), true
	}
	return 0, 0, false
}
