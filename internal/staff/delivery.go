package staff

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/flsps/faqbot/internal/store"
)

// twilioWords are Twilio error codes in words staff can act on.
var twilioWords = map[int]string{
	21610: "This patient has opted out of texts; call them instead",
	21211: "The patient's number is not a valid phone number",
	21614: "The patient's number cannot receive texts (not a mobile number); call them instead",
	21612: "The patient's number cannot be reached by text from our number; call them instead",
	21408: "Texting this country is not enabled for the clinic's number",
	21606: "The clinic's sending number cannot send texts; tell your administrator",
	21608: "The clinic's Twilio trial account can only text verified numbers; tell your administrator",
	20003: "The server's Twilio credentials were refused; tell your administrator",
	30003: "The patient's phone is unreachable (off or out of coverage)",
	30004: "The patient's carrier blocked the text",
	30005: "The patient's number is unknown or no longer in service",
	30006: "The patient's number is a landline or cannot receive texts; call them instead",
	30007: "The carrier filtered the text as possible spam",
	30008: "The carrier could not deliver the text (unknown error)",
	63016: "WhatsApp only allows replies within 24 hours of the patient's last message; call them instead",
	20429: "Twilio is busy (too many texts at once)",
	20500: "Twilio had an internal error",
	20503: "Twilio is unavailable for the moment",
}

var twilioCodeRE = regexp.MustCompile(`\b(2\d{4}|3\d{4}|6\d{4})\b`)

// plainError turns a stored delivery error (a Twilio code such as "30003",
// or a REST error's text with its code and a documentation URL) into
// words for staff. Unknown errors get a generic sentence, never the raw
// text.
func plainError(raw string) string {
	if raw == "" {
		return ""
	}
	if m := twilioCodeRE.FindString(raw); m != "" {
		code, _ := strconv.Atoi(m)
		if w, ok := twilioWords[code]; ok {
			return w
		}
		return fmt.Sprintf("The text could not be delivered (Twilio error %d)", code)
	}
	switch low := strings.ToLower(raw); {
	case strings.Contains(low, "not configured"):
		return "Texting is not set up on this server; tell your administrator"
	case strings.Contains(low, "deadline exceeded"), strings.Contains(low, "timeout"):
		return "Twilio did not answer in time"
	case strings.Contains(low, "connection refused"), strings.Contains(low, "no such host"), strings.Contains(low, "connection reset"):
		return "Twilio could not be reached"
	}
	return "The text could not be delivered"
}

// deliveryText is an outbound message's delivery status in words: a retry
// shows as "Retrying (attempt 3, last error: …)", a failure as "Failed: …".
func deliveryText(m store.Message, it store.OutboxItem) string {
	switch {
	case m.Status == store.MsgQueued && it.ID != 0 && it.Status != store.OutboxFailedSt && it.LastError != "":
		return fmt.Sprintf("Retrying (attempt %d, last error: %s)", it.Attempts+1, plainError(it.LastError))
	case m.Status == store.MsgFailed || m.Status == store.MsgUndelivered:
		reason := plainError(m.ErrorCode)
		if reason == "" {
			reason = plainError(it.LastError)
		}
		if reason == "" {
			return msgStatusLabel(m.Status)
		}
		return msgStatusLabel(m.Status) + ": " + reason
	}
	return msgStatusLabel(m.Status)
}
