package staff

import "testing"

func TestPlainErrorNeverShowsRawText(t *testing.T) {
	for raw, want := range map[string]string{
		"Status: 400 - ApiError 21610: Attempt to send to unsubscribed recipient (null) More info: https://www.twilio.com/docs/errors/21610": "This patient has opted out of texts; call them instead",
		"30003": "The patient's phone is unreachable (off or out of coverage)",
		"gave up after 12 attempts: Status: 503 - ApiError 20503: Service Unavailable (null) More info: https://www.twilio.com/docs/errors/20503": "Twilio is unavailable for the moment",
		"Post \"https://api.twilio.com/2010-04-01\": context deadline exceeded":                                                                   "Twilio did not answer in time",
		"sms sending is not configured (set TWILIO_ACCOUNT_SID...)":                                                                               "Texting is not set up on this server; tell your administrator",
		"ApiError 21999: something new": "The text could not be delivered (Twilio error 21999)",
		"weird failure":                 "The text could not be delivered",
		"":                              "",
	} {
		if got := plainError(raw); got != want {
			t.Errorf("plainError(%q) = %q, want %q", raw, got, want)
		}
	}
}
