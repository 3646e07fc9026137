//go:build !twilio_twiml

package sms

// This file renders TwiML with encoding/xml because github.com/twilio/twilio-go/twiml
// needs github.com/beevik/etree, which go.mod does not list yet. Once it
// does (`go get github.com/twilio/twilio-go/twiml@v1.31.0`), delete this file
// and the build constraint of twiml_twilio.go.

import "encoding/xml"

type twimlResponse struct {
	XMLName  xml.Name `xml:"Response"`
	Messages []string `xml:"Message"`
}

func renderTwiML(parts []string) ([]byte, error) {
	b, err := xml.Marshal(twimlResponse{Messages: parts})
	if err != nil {
		return nil, err
	}
	return append([]byte(`<?xml version="1.0" encoding="UTF-8"?>`), b...), nil
}
