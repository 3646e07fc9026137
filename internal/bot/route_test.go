package bot

import "testing"

// TestRoutePatterns runs stage 3 alone: opt-in before opt-out, help,
// booking and human, on analysed tokens.
func TestRoutePatterns(t *testing.T) {
	e := clinicEngine(t)
	cases := []struct {
		name, text string
		want       Intent // "" when no route applies
	}{
		{"optout plain", "stop texting me please", IntentOptOut},
		{"optout reminders", "quit sending the reminders", IntentOptOut},
		{"optout not wanting", "i dont want any more of these texts", IntentOptOut},
		{"optout list", "get my number off this list", IntentOptOut},
		{"optout es dejar", "dejen de escribirme por favor", IntentOptOut},
		{"optout es no quiero", "no quiero recibir mas mensajes", IntentOptOut},
		{"optout es no me", "no me escriban mas", IntentOptOut},
		{"optin again", "can you start texting me again", IntentOptIn},
		{"optin mistake", "i unsubscribed by mistake, sorry", IntentOptIn},
		{"optin negated stop", "don't stop sending me texts", IntentOptIn},
		{"optin back", "sign me back up for texts", IntentOptIn},
		{"optin es volver", "quiero volver a recibir sus mensajes", IntentOptIn},
		{"optin es seguir", "sigan mandandome mensajes por favor", IntentOptIn},
		{"help who", "hi who is this?", IntentHelp},
		{"help why", "why am i receiving these texts", IntentHelp},
		{"help number", "what is this number?", IntentHelp},
		{"help es", "quien me escribe?", IntentHelp},
		{"booking availability", "is wednesday at 4 still free", IntentBooking},
		{"booking room", "any space left this week?", IntentBooking},
		{"booking coming by", "could i swing by on monday", IntentBooking},
		{"booking getting in", "hoping to get in soon", IntentBooking},
		{"booking missing", "i cant make it friday", IntentBooking},
		{"booking es", "tienen cupo el martes?", IntentBooking},
		{"not booking: hours", "are you open on saturdays", ""},
		{"not booking: get in touch", "how do i get in touch", ""},
		{"human ring", "can you give me a ring", IntentHuman},
		{"human machine", "i want a person not a machine", IntentHuman},
		{"human who", "who can i talk to about this", IntentHuman},
		{"not optout: text me the address", "can you text me the address", ""},
		{"not optout: stop the pain", "will botox stop my headaches", ""},
		{"not help: who does botox", "how long does botox last", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, ok := e.route(e.an.Analyze(c.text).Tokens, "en", Context{})
			got := Intent("")
			if ok {
				got = d.Intent
			}
			if got != c.want {
				t.Errorf("route(%q) = %q (%s), want %q", c.text, got, d.Rule, c.want)
			}
		})
	}
}

// TestSymptomOutranksBlockers: a symptom report is an emergency even when
// the message also asks about something a blocker refuses (price,
// redness, other drugs), and hedging does not cancel it.
func TestSymptomOutranksBlockers(t *testing.T) {
	e := clinicEngine(t)
	cases := []struct{ name, text string }{
		{"fever with redness", "the shot spots are red and i have a fever of 101, how much is a follow up visit?"},
		{"fever in celsius", "tengo 38.6 de temperatura desde la inyeccion"},
		{"running a temp", "im running 102 since last night, prob the flu"},
		{"spreading redness", "redness around the injection keeps spreading, is tylenol ok?"},
		{"swallowing hedged", "food feels stuck when i eat, likely nothing"},
		{"eyelid es", "se me cae un poco el parpado izquierdo"},
		{"post treatment", "my forehead has a painful lump since the injections"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if d := e.Decide(c.text, Context{}); d.Intent != IntentEmergency {
				t.Errorf("Decide(%q) = %s (%s), want emergency", c.text, label(d), d.Rule)
			}
		})
	}
}

// TestNearestExampleFallback: misspelled requests that no pattern reads
// reach their intent by the nearest fallback example; what a pattern or
// an FAQ entry decides is left alone.
func TestNearestExampleFallback(t *testing.T) {
	e := clinicEngine(t)
	cases := []struct {
		name, text string
		want       string
	}{
		{"optout typo", "stpo txting me plz", "optout"},
		{"human typo", "can somone call me", "human"},
		{"booking typo", "i need to reskedule my apointment", "booking"},
		{"faq untouched", "how long does botox last", "faq:botox-duration"},
		{"unknown untouched", "what is the capital of peru", "unknown"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if d := e.Decide(c.text, Context{}); label(d) != c.want {
				t.Errorf("Decide(%q) = %s (%s), want %s", c.text, label(d), d.Rule, c.want)
			}
		})
	}
}
