// Package phone holds the two things faqbot does with patients' and staff's
// numbers besides storing them: checking E.164 form and masking a number to
// its last four digits wherever it is shown or logged.
package phone

import "strings"

// IsE164 reports whether s is an E.164 number: "+" and 7 to 15 digits.
func IsE164(s string) bool {
	if len(s) < 8 || len(s) > 16 || s[0] != '+' {
		return false
	}
	for _, r := range s[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Last4 is the last four digits of s ("" when it has fewer).
func Last4(s string) string {
	var digits [4]byte
	n := 0
	for i := len(s) - 1; i >= 0 && n < 4; i-- {
		if s[i] >= '0' && s[i] <= '9' {
			n++
			digits[4-n] = s[i]
		}
	}
	if n < 4 {
		return ""
	}
	return string(digits[:])
}

// Mask keeps a channel prefix and the last four digits: "+15615550142" →
// "…0142", "whatsapp:+15615550142" → "whatsapp:…0142". An address without
// four digits (a web session id) keeps its last four characters.
func Mask(s string) string {
	prefix := ""
	if i := strings.IndexByte(s, ':'); i >= 0 {
		prefix, s = s[:i+1], s[i+1:]
	}
	if d := Last4(s); d != "" {
		return prefix + "…" + d
	}
	if len(s) > 4 {
		return prefix + "…" + s[len(s)-4:]
	}
	if s == "" {
		return prefix
	}
	return prefix + "…"
}
