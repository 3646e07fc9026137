// Package logging builds faqbot's slog logger and keeps patient data out of
// it: attributes that carry a phone number are cut to the last four digits and
// message texts are replaced by their length unless body logging is switched
// on for debugging.
package logging

import (
	"io"
	"log/slog"
	"strconv"
	"strings"

	"github.com/flsps/faqbot/internal/phone"
)

// Keys whose values are phone numbers or patient addresses.
var phoneKeys = map[string]bool{"from": true, "to": true, "phone": true, "address": true, "number": true, "patient": true}

// Keys whose values are message texts.
var bodyKeys = map[string]bool{"body": true, "text": true, "message": true, "reply": true}

// New returns a logger writing format ("json" or "text") at level to w.
func New(w io.Writer, format, level string, logBodies bool) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv, ReplaceAttr: Redactor(logBodies)}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// Redactor returns a slog ReplaceAttr function that masks phone numbers and,
// unless logBodies, message texts.
func Redactor(logBodies bool) func(groups []string, a slog.Attr) slog.Attr {
	return func(_ []string, a slog.Attr) slog.Attr {
		if a.Value.Kind() != slog.KindString {
			return a
		}
		k := strings.ToLower(a.Key)
		switch {
		case phoneKeys[k]:
			return slog.String(a.Key, phone.Mask(a.Value.String()))
		case bodyKeys[k] && !logBodies:
			return slog.String(a.Key, "["+strconv.Itoa(len(a.Value.String()))+" bytes redacted]")
		}
		return a
	}
}
