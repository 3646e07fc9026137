package sms

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxBodyChars is Twilio's limit on a message body, in characters. Longer
// inbound bodies are accepted (Inbound.LongBody); outbound ones are refused.
const MaxBodyChars = 1600

// Channels.
const (
	ChannelSMS      = "sms"
	ChannelWhatsApp = "whatsapp"
)

// InputError is a webhook form that cannot be used: a required field is
// missing or a field is malformed. It is the sender's fault; answer it with
// a defined outcome (e.g. empty TwiML or 400), never a 500.
type InputError struct {
	Field  string // the form field, e.g. "From"
	Reason string // "missing", "empty", "invalid UTF-8", "not a number"...
}

func (e *InputError) Error() string {
	return fmt.Sprintf("sms: field %s: %s", e.Field, e.Reason)
}

// Inbound is one message a patient sent, from Twilio's webhook form.
type Inbound struct {
	MessageSID string
	AccountSID string
	From       string // "+15551234567" or "whatsapp:+15551234567"
	To         string
	Body       string // as sent (not trimmed); empty only when NumMedia > 0
	Channel    string // ChannelSMS or ChannelWhatsApp
	OptOutType string // Twilio Advanced Opt-Out: "STOP", "START", "HELP" or ""
	NumMedia   int
	// ProfileName is the WhatsApp profile name, if any.
	ProfileName string
	// MediaURLs are MediaUrl0..MediaUrl{NumMedia-1} as far as present.
	MediaURLs []string
	// LongBody is true when Body has more than MaxBodyChars characters.
	// Twilio does not normally deliver such bodies; the message is kept
	// whole, the flag is for logs and metrics.
	LongBody bool
}

// MediaOnly reports a message with attachments and no text.
func (m Inbound) MediaOnly() bool {
	return m.NumMedia > 0 && strings.TrimSpace(m.Body) == ""
}

// ParseInbound reads Twilio's inbound-message form (SMS and WhatsApp). It
// requires MessageSid (or SmsMessageSid), From and To, and a Body in valid
// UTF-8. An empty Body without media is a message that says nothing, and is
// answered like one (Twilio logs any non-2xx answer as error 11200).
// Failures are *InputError.
func ParseInbound(form url.Values) (Inbound, error) {
	m := Inbound{
		MessageSID:  first(form, "MessageSid", "SmsMessageSid", "SmsSid"),
		AccountSID:  form.Get("AccountSid"),
		From:        strings.TrimSpace(form.Get("From")),
		To:          strings.TrimSpace(form.Get("To")),
		Body:        form.Get("Body"),
		OptOutType:  strings.ToUpper(strings.TrimSpace(form.Get("OptOutType"))),
		ProfileName: form.Get("ProfileName"),
	}
	if err := checkSID("MessageSid", m.MessageSID); err != nil {
		return Inbound{}, err
	}
	if m.From == "" {
		return Inbound{}, &InputError{Field: "From", Reason: "missing"}
	}
	if m.To == "" {
		return Inbound{}, &InputError{Field: "To", Reason: "missing"}
	}
	for _, f := range []struct{ name, v string }{{"From", m.From}, {"To", m.To}, {"ProfileName", m.ProfileName}} {
		if !utf8.ValidString(f.v) {
			return Inbound{}, &InputError{Field: f.name, Reason: "invalid UTF-8"}
		}
	}
	if !utf8.ValidString(m.Body) {
		return Inbound{}, &InputError{Field: "Body", Reason: "invalid UTF-8"}
	}
	if s := strings.TrimSpace(form.Get("NumMedia")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return Inbound{}, &InputError{Field: "NumMedia", Reason: "not a number"}
		}
		m.NumMedia = n
	}
	for i := 0; i < m.NumMedia && i < 10; i++ {
		if u := form.Get("MediaUrl" + strconv.Itoa(i)); u != "" {
			m.MediaURLs = append(m.MediaURLs, u)
		}
	}
	m.Channel = ChannelSMS
	if hasPrefixFold(m.From, "whatsapp:") {
		m.Channel = ChannelWhatsApp
	}
	m.LongBody = utf8.RuneCountInString(m.Body) > MaxBodyChars
	return m, nil
}

// StatusCallback is one delivery-status callback for an outbound message.
type StatusCallback struct {
	MessageSID    string
	MessageStatus string // queued, sent, delivered, undelivered, failed, read...
	ErrorCode     string // Twilio error code for undelivered/failed, else ""
	To            string
	From          string
	AccountSID    string
}

// Failed reports a final failure status (undelivered or failed).
func (s StatusCallback) Failed() bool {
	return s.MessageStatus == "undelivered" || s.MessageStatus == "failed"
}

// ParseStatus reads Twilio's status-callback form. MessageSid (or SmsSid)
// and MessageStatus (or SmsStatus) are required; failures are *InputError.
// The status is lower-cased; unknown statuses are passed through.
func ParseStatus(form url.Values) (StatusCallback, error) {
	s := StatusCallback{
		MessageSID:    first(form, "MessageSid", "SmsSid"),
		MessageStatus: strings.ToLower(strings.TrimSpace(first(form, "MessageStatus", "SmsStatus"))),
		ErrorCode:     strings.TrimSpace(form.Get("ErrorCode")),
		To:            form.Get("To"),
		From:          form.Get("From"),
		AccountSID:    form.Get("AccountSid"),
	}
	if err := checkSID("MessageSid", s.MessageSID); err != nil {
		return StatusCallback{}, err
	}
	if s.MessageStatus == "" {
		return StatusCallback{}, &InputError{Field: "MessageStatus", Reason: "missing"}
	}
	if len(s.MessageStatus) > 32 || !isAlnum(strings.ReplaceAll(s.MessageStatus, "_", "")) {
		return StatusCallback{}, &InputError{Field: "MessageStatus", Reason: "malformed"}
	}
	if s.ErrorCode != "" {
		if _, err := strconv.Atoi(s.ErrorCode); err != nil {
			return StatusCallback{}, &InputError{Field: "ErrorCode", Reason: "not a number"}
		}
	}
	return s, nil
}

// checkSID requires a Twilio SID-like value: 1 to 64 ASCII letters and
// digits (it becomes a database key).
func checkSID(field, v string) error {
	if v == "" {
		return &InputError{Field: field, Reason: "missing"}
	}
	if len(v) > 64 || !isAlnum(v) {
		return &InputError{Field: field, Reason: "malformed"}
	}
	return nil
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return s != ""
}

func first(form url.Values, keys ...string) string {
	for _, k := range keys {
		if v := strings.TrimSpace(form.Get(k)); v != "" {
			return v
		}
	}
	return ""
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
