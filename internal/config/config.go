// Package config holds every setting of faqbot in one options table: each is
// a command-line flag and an environment variable with a default, so
// `faqbot serve --help` lists them all and operators can use either.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
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

	ChatOrigins []string // web pages allowed to embed the chat widget

	LogFormat     string
	LogLevel      string
	LogBodies     bool
	ShutdownGrace time.Duration

	// The optional language model (see LLMPhrasingOn, LLMAssistOn).
	LLMBaseURL  string
	LLMAPIKey   string
	LLMModel    string
	LLMTimeout  time.Duration
	LLMPhrasing string // "on", "off" or "auto" (on when LLMBaseURL is set)
	LLMAssist   string // the same
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
	{"handoff-timeout", "FAQBOT_HANDOFF_TIMEOUT", "4h", kDuration, "how long a claimed escalation silences the bot for that patient (0: until resolved)", duration(func(c *Config) *time.Duration { return &c.HandoffTimeout })},
	{"session-idle", "FAQBOT_SESSION_IDLE", "2h", kDuration, "staff sessions end after this long without activity", duration(func(c *Config) *time.Duration { return &c.SessionIdle })},
	{"cookie-secure", "FAQBOT_COOKIE_SECURE", "auto", kString, "Secure flag on staff cookies: auto (on with an https public URL or behind a trusted proxy, off for plain-http local trials), true or false", str(func(c *Config) *string { return &c.CookieSecure })},
	{"chat-origins", "FAQBOT_CHAT_ORIGINS", "", kList, "comma-separated origins of the websites that may embed the chat widget (https://www.example.com; * for any); the server's own origin always may", func(c *Config, v string) error { c.ChatOrigins = splitList(v); return nil }},
	{"retention", "FAQBOT_RETENTION", "0", kDuration, "delete conversations idle longer than this, daily (e.g. 365d; 0 keeps everything)", duration(func(c *Config) *time.Duration { return &c.Retention })},
	{"log-format", "FAQBOT_LOG_FORMAT", "json", kString, "log format: json or text", str(func(c *Config) *string { return &c.LogFormat })},
	{"log-level", "FAQBOT_LOG_LEVEL", "info", kString, "log level: debug, info, warn, error", str(func(c *Config) *string { return &c.LogLevel })},
	{"log-message-bodies", "FAQBOT_LOG_MESSAGE_BODIES", "false", kBool, "DEBUG ONLY: write message texts into logs (off: redacted)", boolean(func(c *Config) *bool { return &c.LogBodies })},
	{"shutdown-grace", "FAQBOT_SHUTDOWN_GRACE", "15s", kDuration, "how long shutdown waits for requests and the outbox to drain", duration(func(c *Config) *time.Duration { return &c.ShutdownGrace })},
	{"llm-base-url", "FAQBOT_LLM_BASE_URL", "", kString, "optional OpenAI-compatible API base URL ending in /v1 (OpenAI, Azure OpenAI, or the clinic's own vLLM, Ollama, llama.cpp server); empty: curated answers only, fully offline", str(func(c *Config) *string { return &c.LLMBaseURL })},
	{"llm-api-key", "FAQBOT_LLM_API_KEY", "", kString, "API key for the LLM base URL (empty: no Authorization header)", str(func(c *Config) *string { return &c.LLMAPIKey })},
	{"llm-model", "FAQBOT_LLM_MODEL", "", kString, "model name (required with a base URL), e.g. gpt-4o-mini or llama3.1:8b", str(func(c *Config) *string { return &c.LLMModel })},
	{"llm-timeout", "FAQBOT_LLM_TIMEOUT", "3s", kDuration, "deadline of one LLM call (a message gets at most two, within 6 s together); past it the curated answer goes", duration(func(c *Config) *time.Duration { return &c.LLMTimeout })},
	{"llm-phrasing", "FAQBOT_LLM_PHRASING", "auto", kString, "let the LLM rephrase matched FAQ answers (fact-checked; the curated text goes when a check fails): on, off, or auto (on when a base URL is set)", str(func(c *Config) *string { return &c.LLMPhrasing })},
	{"llm-assist", "FAQBOT_LLM_ASSIST", "auto", kString, "let the LLM choose among the closest FAQ entries (or none) when the engine is unsure: on, off, or auto (on when a base URL is set)", str(func(c *Config) *string { return &c.LLMAssist })},
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
// flags winning, and checks the result. It returns the remaining positional
// arguments. only, when non-empty, restricts the flags to those names (other
// commands reuse a few settings, e.g. --addr). Usage goes to out.
func Parse(name string, args []string, getenv func(string) string, out io.Writer, only ...string) (*Config, []string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	if len(only) == 0 {
		for _, o := range options {
			only = append(only, o.flag)
		}
	}
	c, envErr := Bind(fs, getenv, only...)
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if err := errors.Join(envErr, c.validate()); err != nil {
		return nil, nil, err
	}
	return c, fs.Args(), nil
}

// Bind puts the rows named by their flags (e.g. "data-dir", "faq") on a
// command's own FlagSet, so every command reads a setting the same way:
// the flag, else the environment variable (through getenv), else the
// default. It returns the Config the flags fill when fs is parsed, and the
// environment's bad values, each naming its variable. An unknown name is a
// programming error and panics.
func Bind(fs *flag.FlagSet, getenv func(string) string, names ...string) (*Config, error) {
	c := Defaults()
	var errs []error
	for _, name := range names {
		o, ok := row(name)
		if !ok {
			panic("config: Bind: no setting " + name)
		}
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
	return c, errors.Join(errs...)
}

func row(flagName string) (option, bool) {
	for _, o := range options {
		if o.flag == flagName {
			return o, true
		}
	}
	return option{}, false
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
	if err := checkAddr(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("FAQBOT_ADDR: %w", err))
	}
	if c.StaffWebhookURL != "" {
		if u, err := url.Parse(c.StaffWebhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("FAQBOT_STAFF_WEBHOOK_URL: want an absolute http(s) URL like https://hooks.example.com/x, got %q", c.StaffWebhookURL))
		}
	}
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
	for i, o := range c.ChatOrigins {
		if o == "*" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			errs = append(errs, fmt.Errorf("FAQBOT_CHAT_ORIGINS: want origins like https://www.example.com (scheme and host, no path), got %q", o))
			continue
		}
		c.ChatOrigins[i] = strings.ToLower(u.Scheme + "://" + u.Host)
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
	if err := c.CheckLLM(); err != nil {
		errs = append(errs, err)
	}
	if c.SenderRatePerMinute == 0 {
		errs = append(errs, errors.New("FAQBOT_SENDER_RATE: must be at least 1"))
	}
	return errors.Join(errs...)
}

// checkAddr accepts host:port with a numeric port from 0 to 65535 (0 picks a
// free port).
func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want host:port like :8080 or 127.0.0.1:8080, got %q", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("want a port from 0 to 65535 (like :8080), got %q", addr)
	}
	return nil
}

// Notes are what an operator should know about a valid configuration, for
// the start-up log: settings that switch a feature off or mean something
// other than their number suggests.
func (c *Config) Notes() (warnings, infos []string) {
	if !c.TwilioSendConfigured() {
		var missing []string
		for _, s := range []struct{ v, env string }{
			{c.TwilioAccountSID, "TWILIO_ACCOUNT_SID"}, {c.TwilioAuthToken, "TWILIO_AUTH_TOKEN"}, {c.TwilioFrom, "FAQBOT_TWILIO_FROM"},
		} {
			if s.v == "" {
				missing = append(missing, s.env)
			}
		}
		if len(missing) < 3 {
			warnings = append(warnings, "SMS sending is off (staff replies and SMS alerts cannot be sent): "+strings.Join(missing, " and ")+" not set")
		}
	}
	if c.HandoffTimeout == 0 {
		infos = append(infos, "FAQBOT_HANDOFF_TIMEOUT=0: never; a claimed escalation silences the bot for that patient until staff resolve it")
	}
	return warnings, infos
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

// CheckLLM checks the FAQBOT_LLM_* settings (part of validate; commands
// that bind only those rows call it themselves).
func (c *Config) CheckLLM() error {
	var errs []error
	if c.LLMBaseURL != "" {
		u, err := url.Parse(c.LLMBaseURL)
		c.LLMBaseURL = strings.TrimRight(c.LLMBaseURL, "/")
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || !strings.HasSuffix(c.LLMBaseURL, "/v1") {
			errs = append(errs, fmt.Errorf("FAQBOT_LLM_BASE_URL: want an absolute http(s) URL ending in /v1 (e.g. http://localhost:11434/v1), got %q", c.LLMBaseURL))
		}
		if c.LLMModel == "" {
			errs = append(errs, errors.New("FAQBOT_LLM_MODEL: required when FAQBOT_LLM_BASE_URL is set"))
		}
	}
	if c.LLMTimeout <= 0 {
		errs = append(errs, fmt.Errorf("FAQBOT_LLM_TIMEOUT: must be more than 0, got %v", c.LLMTimeout))
	}
	for _, o := range []struct{ env, v string }{{"FAQBOT_LLM_PHRASING", c.LLMPhrasing}, {"FAQBOT_LLM_ASSIST", c.LLMAssist}} {
		switch strings.ToLower(o.v) {
		case "on":
			if c.LLMBaseURL == "" {
				errs = append(errs, fmt.Errorf("%s: on needs FAQBOT_LLM_BASE_URL (the model to use)", o.env))
			}
		case "off", "auto":
		default:
			errs = append(errs, fmt.Errorf("%s: want on, off or auto, got %q", o.env, o.v))
		}
	}
	return errors.Join(errs...)
}

// LLMPhrasingOn reports whether matched answers may be rephrased by the LLM.
func (c *Config) LLMPhrasingOn() bool { return llmOn(c.LLMPhrasing, c.LLMBaseURL) }

// LLMAssistOn reports whether the LLM may choose among close FAQ entries
// when the engine is unsure.
func (c *Config) LLMAssistOn() bool { return llmOn(c.LLMAssist, c.LLMBaseURL) }

func llmOn(v, baseURL string) bool {
	switch strings.ToLower(v) {
	case "on":
		return baseURL != ""
	case "off":
		return false
	}
	return baseURL != ""
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
