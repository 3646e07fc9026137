package config

import (
	"io"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, rest, err := Parse("serve", nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.DataDir != "./data" || c.FAQDir != "./faq" || c.TwilioAPIURL != "https://api.twilio.com" {
		t.Fatalf("defaults: %+v", c)
	}
	if len(rest) != 0 || c.HandoffTimeout != 4*time.Hour {
		t.Fatalf("rest %v handoff %v", rest, c.HandoffTimeout)
	}
}

func TestEnvThenFlags(t *testing.T) {
	e := env(map[string]string{
		"FAQBOT_ADDR":          ":9000",
		"FAQBOT_STAFF_NUMBERS": "+15615550100, +15615550101",
		"FAQBOT_TRUST_PROXY":   "true",
		"FAQBOT_RETENTION":     "365d",
		"TWILIO_AUTH_TOKEN":    "abc",
	})
	c, _, err := Parse("serve", []string{"--addr", "127.0.0.1:7000", "--public-url", "https://bot.example.com/"}, e, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:7000" || !c.TrustProxy || c.TwilioAuthToken != "abc" || len(c.StaffNumbers) != 2 {
		t.Fatalf("%+v", c)
	}
	if c.PublicURL != "https://bot.example.com" || c.Retention != 365*24*time.Hour {
		t.Fatalf("%q %v", c.PublicURL, c.Retention)
	}
	if !c.SecureCookies() {
		t.Fatal("https public URL should mean secure cookies")
	}
	if Defaults().SecureCookies() {
		t.Fatal("a plain local trial (no public URL, no proxy) cannot use Secure cookies over http")
	}
}

func TestBareBoolFlag(t *testing.T) {
	c, _, err := Parse("serve", []string{"--insecure-skip-signature"}, env(nil), io.Discard)
	if err != nil || !c.InsecureSkipSignature {
		t.Fatalf("%v %v", err, c)
	}
}

func TestErrorsNameTheSetting(t *testing.T) {
	_, _, err := Parse("serve", nil, env(map[string]string{"FAQBOT_STAFF_NUMBERS": "5615550100", "FAQBOT_TRUST_PROXY": "maybe"}), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "FAQBOT_STAFF_NUMBERS") || !strings.Contains(err.Error(), "FAQBOT_TRUST_PROXY") {
		t.Fatalf("got %v", err)
	}
}

func TestHelpListsEveryEnv(t *testing.T) {
	var b strings.Builder
	_, _, err := Parse("serve", []string{"--help"}, env(nil), &b)
	if err == nil {
		t.Fatal("want flag.ErrHelp")
	}
	for _, o := range options {
		if !strings.Contains(b.String(), o.env) {
			t.Errorf("--help does not mention %s", o.env)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"365d": 365 * 24 * time.Hour, "1d12h": 36 * time.Hour, "30m": 30 * time.Minute, "0": 0} {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
	if _, err := ParseDuration("soon"); err == nil {
		t.Error("want error")
	}
}

func TestChatOrigins(t *testing.T) {
	c, _, err := Parse("serve", nil, env(map[string]string{"FAQBOT_CHAT_ORIGINS": "https://WWW.Example.com/, http://localhost:3000,*"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"https://www.example.com", "http://localhost:3000", "*"}
	if strings.Join(c.ChatOrigins, " ") != strings.Join(want, " ") {
		t.Fatalf("ChatOrigins = %q, want %q", c.ChatOrigins, want)
	}
	for _, bad := range []string{"www.example.com", "https://example.com/page", "ftp://example.com"} {
		_, _, err := Parse("serve", nil, env(map[string]string{"FAQBOT_CHAT_ORIGINS": bad}), io.Discard)
		if err == nil || !strings.Contains(err.Error(), "FAQBOT_CHAT_ORIGINS") {
			t.Errorf("%q: got %v", bad, err)
		}
	}
}
