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

func TestLLMSettings(t *testing.T) {
	c, _, err := Parse("serve", nil, env(nil), io.Discard)
	if err != nil || c.LLMPhrasingOn() || c.LLMAssistOn() || c.LLMTimeout != 3*time.Second {
		t.Fatalf("off by default with a 3s timeout: %v %+v", err, c)
	}
	c, _, err = Parse("serve", nil, env(map[string]string{"FAQBOT_LLM_BASE_URL": "http://localhost:11434/v1/", "FAQBOT_LLM_MODEL": "llama3.1:8b"}), io.Discard)
	if err != nil || !c.LLMPhrasingOn() || !c.LLMAssistOn() || c.LLMBaseURL != "http://localhost:11434/v1" {
		t.Fatalf("both on with a base URL: %v %+v", err, c)
	}
	c, _, err = Parse("serve", []string{"--llm-assist", "off"}, env(map[string]string{"FAQBOT_LLM_BASE_URL": "http://h/v1", "FAQBOT_LLM_MODEL": "m"}), io.Discard)
	if err != nil || !c.LLMPhrasingOn() || c.LLMAssistOn() {
		t.Fatalf("assist off: %v %+v", err, c)
	}
	if _, _, err = Parse("serve", nil, env(map[string]string{"FAQBOT_LLM_ASSIST": "on"}), io.Discard); err == nil || !strings.Contains(err.Error(), "FAQBOT_LLM_ASSIST: on needs FAQBOT_LLM_BASE_URL") {
		t.Errorf("assist on without a model: %v", err)
	}
	_, _, err = Parse("serve", nil, env(map[string]string{"FAQBOT_LLM_BASE_URL": "http://localhost:11434", "FAQBOT_LLM_PHRASING": "maybe"}), io.Discard)
	for _, want := range []string{"FAQBOT_LLM_BASE_URL", "/v1", "FAQBOT_LLM_MODEL", "FAQBOT_LLM_PHRASING"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
}
