package config

import (
	"flag"
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

func TestStartUpChecksNameTheVariable(t *testing.T) {
	for _, tc := range []struct{ env, value, want string }{
		{"FAQBOT_ADDR", ":99999", "FAQBOT_ADDR: want a port from 0 to 65535"},
		{"FAQBOT_ADDR", "8080", "FAQBOT_ADDR: want host:port"},
		{"FAQBOT_STAFF_WEBHOOK_URL", "not-a-url", "FAQBOT_STAFF_WEBHOOK_URL: want an absolute http(s) URL"},
		{"FAQBOT_STAFF_WEBHOOK_URL", "ftp://hooks.example.com/x", "FAQBOT_STAFF_WEBHOOK_URL"},
	} {
		t.Run(tc.env+"="+tc.value, func(t *testing.T) {
			_, _, err := Parse("serve", nil, env(map[string]string{tc.env: tc.value}), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	if _, _, err := Parse("serve", nil, env(map[string]string{"FAQBOT_ADDR": "127.0.0.1:0", "FAQBOT_STAFF_WEBHOOK_URL": "https://hooks.example.com/x"}), io.Discard); err != nil {
		t.Fatal(err)
	}
}

func TestNotes(t *testing.T) {
	c := Defaults()
	if w, i := c.Notes(); len(w) != 0 || len(i) != 0 {
		t.Fatalf("a plain trial needs no notes: %v %v", w, i)
	}
	c.TwilioFrom = "+15615550100"
	c.HandoffTimeout = 0
	w, i := c.Notes()
	if len(w) != 1 || !strings.Contains(w[0], "sending is off") || !strings.Contains(w[0], "TWILIO_ACCOUNT_SID") || strings.Contains(w[0], "FAQBOT_TWILIO_FROM") {
		t.Fatalf("warnings = %q", w)
	}
	if len(i) != 1 || !strings.Contains(i[0], "never") {
		t.Fatalf("infos = %q", i)
	}
}

func TestBindFollowsEnvThenFlag(t *testing.T) {
	fs := flag.NewFlagSet("ask", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c, err := Bind(fs, env(map[string]string{"FAQBOT_FAQ_DIR": "/srv/faq", "FAQBOT_DATA_DIR": "/srv/data"}), "faq")
	if err != nil || c.FAQDir != "/srv/faq" || c.DataDir != "./data" {
		t.Fatalf("env: %v %+v (only the bound rows follow the environment)", err, c)
	}
	if err := fs.Parse([]string{"--faq", "other"}); err != nil || c.FAQDir != "other" {
		t.Fatalf("flag: %v %q", err, c.FAQDir)
	}
	if fs.Lookup("data-dir") != nil {
		t.Fatal("unbound rows must not become flags")
	}
	if _, err := Bind(flag.NewFlagSet("x", flag.ContinueOnError), env(map[string]string{"FAQBOT_RETENTION": "soon"}), "retention"); err == nil || !strings.Contains(err.Error(), "FAQBOT_RETENTION") {
		t.Fatalf("bad env value: %v", err)
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
