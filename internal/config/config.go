// Package config holds every setting of faqbot in one options table: each is
// a command-line flag and an environment variable with a default, so
// `faqbot serve --help` lists them all and operators can use either.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/flsps/faqbot/internal/phone"
)

// Config is the parsed settings.
type Config struct {
	Addr        string
	DataDir     string
	DatabaseURL string // PostgreSQL (postgres://…); "" = SQLite in DataDir
	FAQDir      string

	PublicURL             string
	TrustProxy            bool
	InsecureSkipSignature bool

	TwilioAccountSID string
	TwilioAuthToken  string
	TwilioFrom       string
	TwilioAPIURL     string

	StaffNumbers        []string
	StaffWebhookURL     string
	AlertIncludeMessage bool

	SenderRatePerMinute int
	SenderBurst         int

	HandoffTimeout time.Duration
	SessionIdle    time.Duration
	CookieSecure   string // "auto", "true" or "false"

	Retention time.Duration

	LogFormat     string
	LogLevel      string
	LogBodies     bool
	ShutdownGrace time.Duration
}

type kind int

const (
	kString kind = iota
	kBool
	kInt
	kDuration
	kList
)

// option is one row of the table.
type option struct {
	flag  string
	env   string
	def   string
	kind  kind
	usage string
	set   func(c *Config, v string) error
}

func str(p func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *p(c) = strings.TrimSpace(v); return nil }
}

func boolean(p func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("want true or false, got %q", v)
		}
		*p(c) = b
		return nil
	}
}

func integer(p func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			return fmt.Errorf("want a whole number ≥ 0, got %q", v)
		}
		*p(c) = n
		return nil
	}
}

func duration(p func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := ParseDuration(v)
		if err != nil {
			return err
		}
		*p(c) = d
		return nil
	}
}

// options is the table of every setting, in the order --help lists them.
var options = []option{
	{"addr", "FAQBOT_ADDR", ":8080", kString, "listen address", str(func(c *Config) *string { return &c.Addr })},
	{"data-dir", "FAQBOT_DATA_DIR", "./data", kString, "directory of the embedded SQLite store", str(func(c *Config) *string { return &c.DataDir })},
	{"database-url", "FAQBOT_DATABASE_URL", "", kString, "PostgreSQL URL (postgres://user@host:5432/db?sslmode=…) for several replicas; unset = SQLite in the data directory", str(func(c *Config) *string { return &c.DatabaseURL })},
	{"faq", "FAQBOT_FAQ_DIR", "./faq", kString, "FAQ directory (entries, intents, clinic.yaml)", str(func(c *Config) *string { return &c.FAQDir })},
	{"public-url", "FAQBOT_PUBLIC_URL", "", kString, "public base URL Twilio calls (https://bot.example.com), used to check signatures and in alert links", str(func(c *Config) *string { return &c.PublicURL })},
	{"trust-proxy", "FAQBOT_TRUST_PROXY", "false", kBool, "behind a proxy you run: trust X-Forwarded-Proto/Host for signature URLs (when no public URL is set) and X-Forwarded-For for sign-in rate limits", boolean(func(c *Config) *bool { return &c.TrustProxy })},
	{"insecure-skip-signature", "FAQBOT_INSECURE_SKIP_SIGNATURE", "false", kBool, "DANGEROUS, local trials only: accept webhooks without a valid X-Twilio-Signature", boolean(func(c *Config) *bool { return &c.InsecureSkipSignature })},
	{"twilio-account-sid", "TWILIO_ACCOUNT_SID", "", kString, "Twilio account SID (REST sends)", str(func(c *Config) *string { return &c.TwilioAccountSID })},
	{"twilio-auth-token", "TWILIO_AUTH_TOKEN", "", kString, "Twilio auth token (signature checks and REST sends)", str(func(c *Config) *string { return &c.TwilioAuthToken })},
	{"twilio-from", "FAQBOT_TWILIO_FROM", "", kString, "the clinic's number (E.164) or a Messaging Service SID (MG…) to send from", str(func(c *Config) *string { return &c.TwilioFrom })},
	{"twilio-api-url", "FAQBOT_TWILIO_API_URL", "https://api.twilio.com", kString, "Twilio REST base URL", str(func(c *Config) *string { return &c.TwilioAPIURL })},
	{"staff-numbers", "FAQBOT_STAFF_NUMBERS", "", kList, "comma-separated E.164 numbers that get escalation alerts by SMS", func(c *Config, v string) error { c.StaffNumbers = splitList(v); return nil }},
	{"staff-webhook-url", "FAQBOT_STAFF_WEBHOOK_URL", "", kString, "URL that gets escalation alerts as JSON (Slack-compatible)", str(func(c *Config) *string { return &c.StaffWebhookURL })},
	{"alert-include-message", "FAQBOT_ALERT_INCLUDE_MESSAGE", "false", kBool, "put the patient's message text into staff alerts (off: kind, priority and a link only)", boolean(func(c *Config) *bool { return &c.AlertIncludeMessage })},
	{"sender-rate", "FAQBOT_SENDER_RATE", "10", kInt, "messages per minute one patient number may send before the bot stops answering it", integer(func(c *Config) *int { return &c.SenderRatePerMinute })},
	{"sender-burst", "FAQBOT_SENDER_BURST", "5", kInt, "messages one number may send at once before the rate applies", integer(func(c *Config) *int { return &c.SenderBurst })},
	{"handoff-timeout", "FAQBOT_HANDOFF_TIMEOUT", "4h", kDuration, "how long a claimed escalation silences the bot for that patient", duration(func(c *Config) *time.Duration { return &c.HandoffTimeout })},
	{"session-idle", "FAQBOT_SESSION_IDLE", "2h", kDuration, "staff sessions end after this long without activity", duration(func(c *Config) *time.Duration { return &c.SessionIdle })},
	{"cookie-secure", "FAQBOT_COOKIE_SECURE", "auto", kString, "Secure flag on staff cookies: auto (on with an https public URL or behind a trusted proxy, off for plain-http local trials), true or false", str(func(c *Config) *string { return &c.CookieSecure })},
	{"retention", "FAQBOT_RETENTION", "0", kDuration, "delete conversations idle longer than this, daily (e.g. 365d; 0 keeps everything)", duration(func(c *Config) *time.Duration { return &c.Retention })},
	{"log-format", "FAQBOT_LOG_FORMAT", "json", kString, "log format: json or text", str(func(c *Config) *string { return &c.LogFormat })},
	{"log-level", "FAQBOT_LOG_LEVEL", "info", kString, "log level: debug, info, warn, error", str(func(c *Config) *string { return &c.LogLevel })},
	{"log-message-bodies", "FAQBOT_LOG_MESSAGE_BODIES", "false", kBool, "DEBUG ONLY: write message texts into logs (off: redacted)", boolean(func(c *Config) *bool { return &c.LogBodies })},
	{"shutdown-grace", "FAQBOT_SHUTDOWN_GRACE", "15s", kDuration, "how long shutdown waits for requests and the outbox to drain", duration(func(c *Config) *time.Duration { return &c.ShutdownGrace })},
}

// Defaults returns the configuration with every default applied and no
// environment read (tests start from it).
func Defaults() *Config {
	c := &Config{}
	for _, o := range options {
		if err := o.set(c, o.def); err != nil {
			panic("config: bad default for " + o.flag + ": " + err.Error())
		}
	}
	return c
}

// Parse reads the environment (through getenv) and then the flags in args,
// flags winning. It returns the remaining positional arguments. only, when
// non-empty, restricts the flags to those names (other commands reuse a few
// settings, e.g. --data-dir).
func Parse(name string, args []string, getenv func(string) string, out io.Writer, only ...string) (*Config, []string, error) {
	c := Defaults()
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	wanted := func(f string) bool {
		if len(only) == 0 {
			return true
		}
		for _, o := range only {
			if o == f {
				return true
			}
		}
		return false
	}
	var errs []error
	for _, o := range options {
		if !wanted(o.flag) {
			continue
		}
		o := o
		if v := getenv(o.env); v != "" {
			if err := o.set(c, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", o.env, err))
			}
		}
		usage := fmt.Sprintf("%s (env %s)", o.usage, o.env)
		if o.kind == kBool {
			fs.Var(boolFlag{c: c, o: o}, o.flag, usage+defaultNote(o.def))
		} else {
			fs.Func(o.flag, usage+defaultNote(o.def), func(v string) error { return o.set(c, v) })
		}
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if err := errors.Join(append(errs, c.validate())...); err != nil {
		return nil, nil, err
	}
	return c, fs.Args(), nil
}

func defaultNote(def string) string {
	if def == "" {
		return ""
	}
	return " (default " + def + ")"
}

type boolFlag struct {
	c *Config
	o option
}

func (b boolFlag) String() string     { return "" }
func (b boolFlag) Set(v string) error { return b.o.set(b.c, v) }
func (b boolFlag) IsBoolFlag() bool   { return true }

func (c *Config) validate() error {
	var errs []error
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("FAQBOT_PUBLIC_URL: want an absolute http(s) URL, got %q", c.PublicURL))
		}
		c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	}
	if c.DatabaseURL != "" {
		// The URL may hold a password: never echo it.
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			errs = append(errs, errors.New("FAQBOT_DATABASE_URL: want a postgres:// or postgresql:// URL"))
		}
	}
	if u, err := url.Parse(c.TwilioAPIURL); err != nil || u.Host == "" {
		errs = append(errs, fmt.Errorf("FAQBOT_TWILIO_API_URL: want an absolute URL, got %q", c.TwilioAPIURL))
	}
	for _, n := range c.StaffNumbers {
		if !phone.IsE164(n) {
			errs = append(errs, fmt.Errorf("FAQBOT_STAFF_NUMBERS: %q is not an E.164 number like +15615550100", n))
		}
	}
	switch c.CookieSecure {
	case "auto", "true", "false":
	default:
		errs = append(errs, fmt.Errorf("FAQBOT_COOKIE_SECURE: want auto, true or false, got %q", c.CookieSecure))
	}
	switch c.LogFormat {
	case "json", "text":
	default:
		errs = append(errs, fmt.Errorf("FAQBOT_LOG_FORMAT: want json or text, got %q", c.LogFormat))
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("FAQBOT_LOG_LEVEL: want debug, info, warn or error, got %q", c.LogLevel))
	}
	if c.SenderRatePerMinute == 0 {
		errs = append(errs, errors.New("FAQBOT_SENDER_RATE: must be at least 1"))
	}
	return errors.Join(errs...)
}

// SecureCookies resolves the cookie-secure setting.
func (c *Config) SecureCookies() bool {
	switch c.CookieSecure {
	case "true":
		return true
	case "false":
		return false
	}
	if c.PublicURL != "" {
		return strings.HasPrefix(c.PublicURL, "https://")
	}
	return c.TrustProxy
}

// TwilioSendConfigured reports whether REST sends (staff SMS, staff replies)
// can work.
func (c *Config) TwilioSendConfigured() bool {
	return c.TwilioAccountSID != "" && c.TwilioAuthToken != "" && c.TwilioFrom != ""
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ParseDuration is time.ParseDuration plus a days suffix ("365d", "1d12h").
func ParseDuration(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" || v == "0" {
		return 0, nil
	}
	var days time.Duration
	if i := strings.IndexByte(v, 'd'); i > 0 {
		n, err := strconv.Atoi(v[:i])
		if err != nil || n < 0 {
			return 0, fmt.Errorf("want a duration like 365d, 12h or 30m, got %q", v)
		}
		days = time.Duration(n) * 24 * time.Hour
		v = v[i+1:]
		if v == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("want a duration like 365d, 12h or 30m, got %q", v)
	}
	return days + d, nil
}
