package bot

import (
	"testing"
)

var validIntents = map[Intent]bool{
	IntentFAQ: true, IntentBooking: true, IntentHuman: true, IntentEmergency: true, IntentOptOut: true,
	IntentOptIn: true, IntentHelp: true, IntentSmalltalk: true, IntentUnknown: true,
}

func FuzzDecide(f *testing.F) {
	for _, s := range append(benchMessages, "", "?", "¿¡", "question mark", "no no no not", "\x00\xff", "🙏🏽‍", "a*|b", "STOP STOP") {
		f.Add(s, "")
	}
	f.Add("and is it safe for that?", "tmj")
	e := clinicEngine(f)
	f.Fuzz(func(t *testing.T, text, last string) {
		d := e.Decide(text, Context{LastFAQID: last})
		if !validIntents[d.Intent] {
			t.Fatalf("%q: invalid intent %q", text, d.Intent)
		}
		if d.Confidence < 0 || d.Confidence > 1 {
			t.Fatalf("%q: confidence %v", text, d.Confidence)
		}
		if d.Reply == "" {
			t.Fatalf("%q: empty reply", text)
		}
		if (d.Intent == IntentFAQ) != (d.FAQID != "") {
			t.Fatalf("%q: intent %s with faq id %q", text, d.Intent, d.FAQID)
		}
		if d.Lang != "en" && d.Lang != "es" {
			t.Fatalf("%q: lang %q", text, d.Lang)
		}
	})
}
