package sms

import "github.com/twilio/twilio-go/twiml"

func renderTwiML(parts []string) ([]byte, error) {
	verbs := make([]twiml.Element, 0, len(parts))
	for _, p := range parts {
		verbs = append(verbs, &twiml.MessagingMessage{Body: p})
	}
	s, err := twiml.Messages(verbs)
	return []byte(s), err
}
