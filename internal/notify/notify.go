// Package notify sends staff alerts to a webhook (Slack-compatible JSON).
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// DefaultTimeout bounds a post when Webhook.Client is nil.
const DefaultTimeout = 10 * time.Second

// Errors that a retry cannot fix.
var (
	ErrNoURL          = errors.New("notify: no webhook URL configured")
	ErrInvalidPayload = errors.New("notify: payload cannot be encoded as JSON")
)

// StatusError is a non-2xx answer from the webhook.
type StatusError struct {
	StatusCode int
	Body       string // the start of the answer, for logs
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("notify: webhook answered %d %s: %s", e.StatusCode, http.StatusText(e.StatusCode), e.Body)
}

// Webhook posts JSON to an incoming-webhook URL (Slack, Mattermost, Teams
// workflows, or anything that takes {"text": "..."}).
type Webhook struct {
	URL string
	// Client defaults to one with DefaultTimeout.
	Client *http.Client
}

var defaultClient = &http.Client{Timeout: DefaultTimeout}

// Post sends {"text": text}.
func (w *Webhook) Post(ctx context.Context, text string) error {
	return w.PostJSON(ctx, map[string]string{"text": text})
}

// PostFields sends {"text": text} plus fields as further top-level keys
// (e.g. "kind", "priority", "escalation_id"); "text" is always the text
// argument. Slack shows the text and ignores the rest; other receivers can
// use the structure.
func (w *Webhook) PostFields(ctx context.Context, text string, fields map[string]any) error {
	payload := make(map[string]any, len(fields)+1)
	for k, v := range fields {
		payload[k] = v
	}
	payload["text"] = text
	return w.PostJSON(ctx, payload)
}

// PostJSON posts payload encoded as JSON with Content-Type
// application/json. Any 2xx answer is success; others are *StatusError.
// Errors never contain the webhook URL (Slack's carries its secret).
func (w *Webhook) PostJSON(ctx context.Context, payload any) error {
	if w.URL == "" {
		return ErrNoURL
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidPayload, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("notify: bad webhook URL: %w", ErrNoURL)
	}
	req.Header.Set("Content-Type", "application/json")
	c := w.Client
	if c == nil {
		c = defaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			// Keep the cause (timeouts, refused connections) without the URL.
			return fmt.Errorf("notify: post to %s: %w", redactURL(w.URL), ue.Err)
		}
		return fmt.Errorf("notify: post: %w", err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &StatusError{StatusCode: resp.StatusCode, Body: string(bytes.TrimSpace(snippet))}
	}
	return nil
}

// redactURL keeps the scheme and host only.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "webhook"
	}
	return u.Scheme + "://" + u.Host + "/…"
}

// IsPermanent reports an error a retry cannot fix: no or bad URL, a payload
// that cannot be encoded, or a 4xx answer other than 408 and 429. Network
// errors, timeouts, 5xx, 408 and 429 are transient.
func IsPermanent(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrNoURL) || errors.Is(err, ErrInvalidPayload) {
		return true
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.StatusCode >= 400 && se.StatusCode < 500 &&
			se.StatusCode != http.StatusRequestTimeout && se.StatusCode != http.StatusTooManyRequests
	}
	return false
}
