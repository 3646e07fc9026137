// Package llm is faqbot's optional language model, reached through any
// OpenAI-compatible chat-completions API (OpenAI, Azure OpenAI, or a server
// the clinic runs: vLLM, Ollama, llama.cpp). It does two small jobs and
// never decides anything on its own:
//
//   - Phrase rewrites a curated FAQ answer so it speaks to the patient's
//     question; every rewrite passes Check (guard.go) or the curated text
//     goes instead.
//   - Choose picks, among the engine's closest FAQ entries, the one that
//     answers the message, or none; anything else is refused.
//
// Each call has a deadline, repeated failures open a circuit breaker, and
// every fallback is counted by reason. A nil *Client is valid and off.
package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/flsps/faqbot/internal/config"
	"github.com/flsps/faqbot/internal/metrics"
)

// Call fallback reasons (the guard's are in guard.go).
const (
	ReasonTimeout     = "timeout"
	ReasonError       = "error"        // the server refused or was unreachable
	ReasonMalformed   = "malformed"    // an answer that is not a chat completion
	ReasonCircuitOpen = "circuit_open" // too many recent failures: not called
	ReasonInjection   = "injection"    // the patient's text tries to instruct the model: not called
	ReasonBadChoice   = "bad_choice"   // assist answered something that is not a candidate or none
)

// Config is how to reach the model and what it may do.
type Config struct {
	BaseURL string // ends in /v1
	APIKey  string // empty: no Authorization header
	Model   string
	Timeout time.Duration // one call
	// Phrasing and Assist switch the two jobs.
	Phrasing, Assist bool
}

// maxMessageBudget caps the time all of one message's calls may take
// together, so the webhook answers well inside Twilio's 15 s (the webhook
// itself gives a message 8 s).
const maxMessageBudget = 6 * time.Second

// Breaker settings: after breakerFailures calls in a row fail, the model
// is not called for breakerCooldown; then one call tries again.
const (
	breakerFailures = 5
	breakerCooldown = 30 * time.Second
)

// Client calls the model. Safe for concurrent use.
type Client struct {
	cfg     Config
	api     *openai.Client
	Metrics *metrics.Metrics // nil: none
	Log     *slog.Logger
	Now     func() time.Time // the breaker's clock

	mu        sync.Mutex
	fails     int
	openUntil time.Time
}

// New returns a client for cfg, or nil when no base URL is set (the bot
// then sends curated answers verbatim and works offline).
func New(cfg Config) *Client {
	if cfg.BaseURL == "" || !cfg.Phrasing && !cfg.Assist {
		return nil
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 3 * time.Second
	}
	oc := openai.DefaultConfig(cfg.APIKey)
	oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	// The context bounds each call; this bounds anything it does not.
	oc.HTTPClient = &http.Client{Timeout: maxMessageBudget}
	return &Client{cfg: cfg, api: openai.NewClientWithConfig(oc), Log: slog.Default(), Now: time.Now}
}

// PhrasingOn reports whether matched answers are rephrased.
func (c *Client) PhrasingOn() bool { return c != nil && c.cfg.Phrasing }

// AssistOn reports whether the model helps when the engine is unsure.
func (c *Client) AssistOn() bool { return c != nil && c.cfg.Assist }

// MessageBudget is the deadline for all of one message's calls: two
// calls' worth, at most maxMessageBudget.
func (c *Client) MessageBudget() time.Duration {
	return min(2*c.cfg.Timeout, maxMessageBudget)
}

// PhraseInput is everything the model is told for a rewrite: never the
// patient's number, name or other messages.
type PhraseInput struct {
	Clinic  string // the clinic's name
	Message string // the patient's message
	Curated string // the curated answer, in Lang
	Lang    string // "en" or "es"
}

// Phrased is a rewrite's outcome: Text to send, or "" and why the curated
// answer goes instead.
type Phrased struct {
	Text     string
	Fallback string
}

// Phrase asks the model to rewrite the curated answer for this message
// and checks the result. It returns within ctx's deadline and the call
// timeout, whatever the server does.
func (c *Client) Phrase(ctx context.Context, in PhraseInput) Phrased {
	if !c.PhrasingOn() {
		return Phrased{}
	}
	if Injection(in.Message) {
		return Phrased{Fallback: c.fallback("phrase", ReasonInjection)}
	}
	out, reason := c.call(ctx, "phrase", phrasePrompt(in), 400)
	if reason != "" {
		return Phrased{Fallback: c.fallback("phrase", reason)}
	}
	out = tidy(out)
	if r := Check(out, GuardInput{Curated: in.Curated, Lang: in.Lang, Patient: in.Message, Clinic: in.Clinic}); r != "" {
		return Phrased{Fallback: c.fallback("phrase", r)}
	}
	return Phrased{Text: out}
}

// Option is one candidate FAQ entry for Choose.
type Option struct {
	ID       string
	Question string
	Answer   string // the curated answer, so the model can tell whether it answers
}

// ChooseInput is a message the engine was unsure about and its closest
// entries.
type ChooseInput struct {
	Clinic  string
	Message string
	Options []Option
}

// Choose asks the model which option answers the message. It returns an
// option's ID, or "" for none; fallback says why the model's answer was
// not used ("" when it answered none).
func (c *Client) Choose(ctx context.Context, in ChooseInput) (id, fallback string) {
	if !c.AssistOn() || len(in.Options) == 0 {
		return "", ""
	}
	if Injection(in.Message) {
		return "", c.fallback("assist", ReasonInjection)
	}
	out, reason := c.call(ctx, "assist", choosePrompt(in), 60)
	if reason != "" {
		return "", c.fallback("assist", reason)
	}
	id, ok := parseChoice(out, in.Options)
	if !ok {
		return "", c.fallback("assist", ReasonBadChoice)
	}
	return id, ""
}

// call runs one chat completion under the call timeout and the breaker.
// reason is "" on success.
func (c *Client) call(ctx context.Context, kind string, msgs []openai.ChatCompletionMessage, maxTokens int) (string, string) {
	if !c.allow() {
		return "", ReasonCircuitOpen
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	start := time.Now()
	resp, err := c.api.CreateChatCompletion(ctx, openai.ChatCompletionRequest{
		Model:       c.cfg.Model,
		Messages:    msgs,
		MaxTokens:   maxTokens,
		Temperature: 0.2,
	})
	if c.Metrics != nil {
		c.Metrics.LLMLatency.WithLabelValues(kind).Observe(time.Since(start).Seconds())
	}
	reason := ""
	switch {
	case err != nil && (errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil):
		reason = ReasonTimeout
	case err != nil && malformed(err):
		reason = ReasonMalformed
	case err != nil:
		reason = ReasonError
	case len(resp.Choices) == 0 || strings.TrimSpace(resp.Choices[0].Message.Content) == "":
		reason = ReasonMalformed
	}
	c.record(reason == "")
	if c.Metrics != nil {
		outcome := "ok"
		if reason != "" {
			outcome = reason
		}
		c.Metrics.LLMCalls.WithLabelValues(kind, outcome).Inc()
	}
	if reason != "" {
		c.Log.Warn("llm call failed", "kind", kind, "reason", reason, "status", status(err))
		return "", reason
	}
	return resp.Choices[0].Message.Content, ""
}

// status describes a failed call for logs without the server's words
// (which could quote the prompt): an HTTP status or the error's kind.
func status(err error) string {
	var ae *openai.APIError
	var re *openai.RequestError
	switch {
	case err == nil:
		return "no choices"
	case errors.As(err, &ae):
		return fmt.Sprintf("HTTP %d", ae.HTTPStatusCode)
	case errors.As(err, &re):
		return fmt.Sprintf("HTTP %d", re.HTTPStatusCode)
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline exceeded"
	case malformed(err):
		return "bad JSON"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Op + ": " + ue.Err.Error()
	}
	return fmt.Sprintf("%T", err)
}

func malformed(err error) bool {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	return errors.As(err, &se) || errors.As(err, &te) || errors.Is(err, io.ErrUnexpectedEOF)
}

func (c *Client) fallback(kind, reason string) string {
	if c.Metrics != nil {
		c.Metrics.LLMFallbacks.WithLabelValues(reason).Inc()
	}
	c.Log.Info("llm fallback", "kind", kind, "reason", reason)
	return reason
}

// allow reports whether the breaker lets a call through: closed, or open
// for longer than breakerCooldown (then calls try again, and one more
// failure opens it anew).
func (c *Client) allow() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fails < breakerFailures || !c.Now().Before(c.openUntil)
}

func (c *Client) record(ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ok {
		c.fails = 0
		return
	}
	c.fails++
	if c.fails >= breakerFailures {
		c.openUntil = c.Now().Add(breakerCooldown)
	}
}

// injectionRE matches a message that tries to instruct the model. Such a
// message never reaches it: the curated answer goes as it is.
var injectionRE = regexp.MustCompile(`(?i)\b(?:` +
	`(?:ignore|disregard|forget|override|bypass)\s+(?:(?:all|any|every|the|your|my|these|those|previous|prior|above|earlier|preceding|system|of)\s+)*(?:instructions?|rules?|prompts?|directions?|guidelines?|context|messages?)` +
	`|you\s+are\s+now|from\s+now\s+on\s+you|pretend\s+(?:to\s+be|you\s+are)|act\s+as\s+(?:a|an|if)|role\s*-?\s*play` +
	`|system\s+prompt|new\s+instructions?|developer\s+mode|jailbreak` +
	`|(?:reply|respond|answer|say|write|output|print)\s+(?:only|exactly|just)\b|repeat\s+after\s+me|say\s+the\s+following` +
	`|ignora\w*\s+(?:(?:las|todas|tus|sus|anteriores|previas)\s+)*(?:instrucciones|reglas)|olvida\w*\s+(?:(?:las|tus|todas)\s+)*(?:instrucciones|reglas)|ahora\s+eres|responde\s+solo|di\s+exactamente` +
	`)`)

// Injection reports a message that tries to give the model instructions
// ("ignore previous instructions and ...").
func Injection(msg string) bool { return injectionRE.MatchString(msg) }

// FromSettings is the client the FAQBOT_LLM_* settings describe (nil when
// no base URL is set), logging to log and counting in m (either may be nil).
func FromSettings(c *config.Config, log *slog.Logger, m *metrics.Metrics) *Client {
	cl := New(Config{BaseURL: c.LLMBaseURL, APIKey: c.LLMAPIKey, Model: c.LLMModel, Timeout: c.LLMTimeout,
		Phrasing: c.LLMPhrasingOn(), Assist: c.LLMAssistOn()})
	if cl != nil {
		if log != nil {
			cl.Log = log
		}
		cl.Metrics = m
	}
	return cl
}
