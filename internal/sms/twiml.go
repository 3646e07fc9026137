package sms

import (
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"
)

// emptyTwiML is the answer that makes Twilio send nothing.
const emptyTwiML = `<?xml version="1.0" encoding="UTF-8"?><Response/>`

// TwiML renders a messaging response that sends reply back to the sender:
// <Response><Message>reply</Message></Response>. An empty (or blank) reply
// gives an empty <Response/>, which sends nothing. Characters XML cannot
// carry are dropped, and a reply over MaxBodyChars is split at whitespace
// into several <Message> verbs, since Twilio refuses longer bodies.
func TwiML(reply string) ([]byte, error) {
	parts := splitReply(xmlSafe(reply), MaxBodyChars)
	if len(parts) == 0 {
		return []byte(emptyTwiML), nil
	}
	return renderTwiML(parts)
}

// WriteTwiML answers a Twilio webhook: status 200, Content-Type text/xml and
// TwiML(reply). Should rendering ever fail it sends the empty response, so
// Twilio never sees a 500 from here.
func WriteTwiML(w http.ResponseWriter, reply string) {
	b, err := TwiML(reply)
	if err != nil {
		b = []byte(emptyTwiML)
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// xmlSafe drops what XML 1.0 cannot carry: invalid UTF-8 and control
// characters other than tab, newline and carriage return, surrogates and
// U+FFFE/U+FFFF.
func xmlSafe(s string) string {
	ok := utf8.ValidString(s)
	if ok {
		for _, r := range s {
			if !xmlChar(r) {
				ok = false
				break
			}
		}
	}
	if ok {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || !xmlChar(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
}

func xmlChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= unicode.MaxRune
}

// splitReply cuts s into parts of at most max characters, at the last
// whitespace of each part when there is one. A blank s gives no parts.
func splitReply(s string, max int) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	var parts []string
	for utf8.RuneCountInString(s) > max {
		// byte offset of the rune just past max characters
		cut, n := 0, 0
		for i := range s {
			if n == max {
				cut = i
				break
			}
			n++
		}
		head := s[:cut]
		if i := strings.LastIndexFunc(head, unicode.IsSpace); i > 0 {
			head = s[:i]
		}
		parts = append(parts, strings.TrimSpace(head))
		s = strings.TrimSpace(s[len(head):])
	}
	if s != "" {
		parts = append(parts, s)
	}
	return parts
}
