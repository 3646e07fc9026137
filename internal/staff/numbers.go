package staff

import (
	"strings"

	"github.com/flsps/faqbot/internal/phone"
)

// Patients' numbers: masked to the last four digits in lists, alerts and
// logs that may sit on a shared screen; shown in full, with a call link,
// only on the conversation page, where each opening is audited.

// maskAddress shows a patient's number as its last four digits ("•••0142");
// "" for no number (a web-chat visitor who left none).
func maskAddress(addr string) string {
	if addr == "" {
		return ""
	}
	return "•••" + phone.Last4(addr)
}

// patientLabel is "Name · •••0142", just the masked number, or "Web
// visitor" for a web-chat patient who left no number.
func patientLabel(name, addr string) string {
	m := maskAddress(addr)
	n := strings.TrimSpace(name)
	switch {
	case m == "" && n == "":
		return "Web visitor"
	case m == "":
		return n
	case n != "":
		return n + " · " + m
	}
	return m
}

// dialNumber is the E.164 number of an address ("whatsapp:+15615550142"
// → "+15615550142"), or "" when it is not a phone number.
func dialNumber(addr string) string {
	if i := strings.IndexByte(addr, ':'); i >= 0 {
		addr = addr[i+1:]
	}
	if !phone.IsE164(addr) {
		return ""
	}
	return addr
}

// displayNumber formats an E.164 number for reading aloud: North American
// numbers as "+1 (561) 555-0142", others as they are.
func displayNumber(e164 string) string {
	if len(e164) == 12 && strings.HasPrefix(e164, "+1") {
		return "+1 (" + e164[2:5] + ") " + e164[5:8] + "-" + e164[8:]
	}
	return e164
}
