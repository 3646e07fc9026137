package sms

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func inboundForm() url.Values {
	return url.Values{
		"MessageSid": {"SM0123456789abcdef0123456789abcdef"},
		"AccountSid": {"AC0123456789abcdef0123456789abcdef"},
		"From":       {"+15551234567"},
		"To":         {"+15557654321"},
		"Body":       {"What are your hours?"},
		"NumMedia":   {"0"},
	}
}

func TestParseInboundSMS(t *testing.T) {
	m, err := ParseInbound(inboundForm())
	if err != nil {
		t.Fatal(err)
	}
	want := Inbound{
		MessageSID: "SM0123456789abcdef0123456789abcdef", AccountSID: "AC0123456789abcdef0123456789abcdef",
		From: "+15551234567", To: "+15557654321", Body: "What are your hours?", Channel: ChannelSMS,
	}
	if m.MessageSID != want.MessageSID || m.AccountSID != want.AccountSID || m.From != want.From ||
		m.To != want.To || m.Body != want.Body || m.Channel != want.Channel || m.NumMedia != 0 || m.LongBody {
		t.Fatalf("got %+v", m)
	}
}

func TestParseInboundWhatsApp(t *testing.T) {
	f := inboundForm()
	f.Set("From", "whatsapp:+15551234567")
	f.Set("To", "whatsapp:+15557654321")
	f.Set("ProfileName", "Zoë")
	m, err := ParseInbound(f)
	if err != nil {
		t.Fatal(err)
	}
	if m.Channel != ChannelWhatsApp || m.ProfileName != "Zoë" || m.From != "whatsapp:+15551234567" {
		t.Fatalf("got %+v", m)
	}
}

func TestParseInboundSmsMessageSidAndOptOut(t *testing.T) {
	f := inboundForm()
	f.Del("MessageSid")
	f.Set("SmsMessageSid", "SMaaaa")
	f.Set("OptOutType", "stop")
	f.Set("Body", "STOP")
	m, err := ParseInbound(f)
	if err != nil {
		t.Fatal(err)
	}
	if m.MessageSID != "SMaaaa" || m.OptOutType != "STOP" {
		t.Fatalf("got %+v", m)
	}
}

func TestParseInboundMediaOnly(t *testing.T) {
	f := inboundForm()
	f.Set("Body", "")
	f.Set("NumMedia", "2")
	f.Set("MediaUrl0", "https://api.twilio.com/media/0")
	f.Set("MediaUrl1", "https://api.twilio.com/media/1")
	m, err := ParseInbound(f)
	if err != nil {
		t.Fatal(err)
	}
	if !m.MediaOnly() || m.NumMedia != 2 || len(m.MediaURLs) != 2 || m.MediaURLs[1] != "https://api.twilio.com/media/1" {
		t.Fatalf("got %+v", m)
	}
	f.Set("Body", "see photo")
	if m, _ := ParseInbound(f); m.MediaOnly() {
		t.Fatal("text with media is not media-only")
	}
}

func TestParseInboundLongBody(t *testing.T) {
	f := inboundForm()
	f.Set("Body", strings.Repeat("é", MaxBodyChars+1))
	m, err := ParseInbound(f)
	if err != nil {
		t.Fatal(err)
	}
	if !m.LongBody || len([]rune(m.Body)) != MaxBodyChars+1 {
		t.Fatalf("LongBody=%v, %d runes", m.LongBody, len([]rune(m.Body)))
	}
	f.Set("Body", strings.Repeat("é", MaxBodyChars))
	if m, _ := ParseInbound(f); m.LongBody {
		t.Fatal("exactly MaxBodyChars is not long")
	}
}

// A message that says nothing is a message: it is parsed, not refused.
func TestEmptyBodyIsAMessage(t *testing.T) {
	for name, edit := range map[string]func(url.Values){
		"empty body": func(f url.Values) { f.Set("Body", "") },
		"blank body": func(f url.Values) { f.Set("Body", " \n\t") },
		"no body":    func(f url.Values) { f.Del("Body") },
	} {
		f := inboundForm()
		edit(f)
		if m, err := ParseInbound(f); err != nil || m.MediaOnly() {
			t.Errorf("%s: %+v, %v", name, m, err)
		}
	}
}

func TestParseInboundErrors(t *testing.T) {
	cases := []struct {
		name          string
		edit          func(url.Values)
		field, reason string
	}{
		{"no MessageSid", func(f url.Values) { f.Del("MessageSid") }, "MessageSid", "missing"},
		{"bad MessageSid", func(f url.Values) { f.Set("MessageSid", "SM1'; DROP") }, "MessageSid", "malformed"},
		{"no From", func(f url.Values) { f.Del("From") }, "From", "missing"},
		{"blank From", func(f url.Values) { f.Set("From", "  ") }, "From", "missing"},
		{"no To", func(f url.Values) { f.Del("To") }, "To", "missing"},
		{"invalid UTF-8", func(f url.Values) { f.Set("Body", "caf\xe9") }, "Body", "invalid UTF-8"},
		{"bad NumMedia", func(f url.Values) { f.Set("NumMedia", "two") }, "NumMedia", "not a number"},
		{"negative NumMedia", func(f url.Values) { f.Set("NumMedia", "-1") }, "NumMedia", "not a number"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := inboundForm()
			c.edit(f)
			_, err := ParseInbound(f)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v, want *InputError", err)
			}
			if ie.Field != c.field || ie.Reason != c.reason {
				t.Fatalf("got %+v, want %s %s", ie, c.field, c.reason)
			}
		})
	}
	// Invalid UTF-8 arriving percent-encoded in a real form body.
	f, err := url.ParseQuery("MessageSid=SM1&From=%2B1555&To=%2B1666&Body=%FF%FE")
	if err != nil {
		t.Fatal(err)
	}
	var ie *InputError
	if _, err := ParseInbound(f); !errors.As(err, &ie) || ie.Field != "Body" {
		t.Fatalf("percent-encoded invalid UTF-8: %v", err)
	}
}

func TestParseStatus(t *testing.T) {
	f := url.Values{
		"MessageSid": {"SMabc"}, "MessageStatus": {"undelivered"}, "ErrorCode": {"30003"},
		"To": {"+15551234567"}, "From": {"+15557654321"}, "AccountSid": {"AC1"},
	}
	s, err := ParseStatus(f)
	if err != nil {
		t.Fatal(err)
	}
	if s.MessageSID != "SMabc" || s.MessageStatus != "undelivered" || s.ErrorCode != "30003" || s.To != "+15551234567" || !s.Failed() {
		t.Fatalf("got %+v", s)
	}
	// Legacy aliases.
	s, err = ParseStatus(url.Values{"SmsSid": {"SMabc"}, "SmsStatus": {"Delivered"}})
	if err != nil || s.MessageSID != "SMabc" || s.MessageStatus != "delivered" || s.Failed() {
		t.Fatalf("aliases: %+v %v", s, err)
	}
	for _, bad := range []url.Values{
		{"MessageStatus": {"sent"}},
		{"MessageSid": {"SMabc"}},
		{"MessageSid": {"SMabc"}, "MessageStatus": {"<script>"}},
		{"MessageSid": {"SMabc"}, "MessageStatus": {"failed"}, "ErrorCode": {"x"}},
	} {
		var ie *InputError
		if _, err := ParseStatus(bad); !errors.As(err, &ie) {
			t.Errorf("ParseStatus(%v) = %v, want *InputError", bad, err)
		}
	}
}
