package bot

import (
	"slices"

	"github.com/flsps/faqbot/internal/nlu"
)

// This file is stage 3 of Decide: requests that are not questions, read
// from the intents' patterns in faq/intents (opt-in, opt-out, help,
// booking, human).

// route returns the decision of the first intent whose pattern matches
// toks, in the order opt-in, opt-out, help, booking, human. Opt-in comes
// first so that a request to be texted again is never read as an opt-out
// ("i unsubscribed by accident, start texting me again"). A negated match
// does not count ("please don't stop texting me" is no opt-out). An
// intent's exceptions hide their words from its own patterns ("i'm booked
// for monday" is no booking, "why did you start texting me" no opt-in).
func (e *Engine) route(toks []nlu.Token, lang string, c Context) (Decision, bool) {
	for _, g := range []struct {
		ps *nlu.PatternSet
		in Intent
	}{{e.optin, IntentOptIn}, {e.optout, IntentOptOut}, {e.help, IntentHelp}, {e.booking, IntentBooking}, {e.human, IntentHuman}} {
		seen := hide(toks, e.routeExceptions[g.in])
		for _, p := range g.ps.Candidates(seen) {
			if p.Find(seen, true) >= 0 {
				return e.decision(g.in, "", 0.9, lang, c.AfterHours, false, string(g.in)+": "+p.Src), true
			}
		}
	}
	return Decision{}, false
}

// hide returns toks with the words of every match of ps hidden; toks
// itself when nothing matches.
func hide(toks []nlu.Token, ps []nlu.Pattern) []nlu.Token {
	out := toks
	for i := range ps {
		if s, end := ps[i].Span(out, false); s >= 0 {
			if &out[0] == &toks[0] {
				out = slices.Clone(toks)
			}
			for k := s; k < end; k++ {
				out[k].Raw, out[k].Stem = "", ""
			}
		}
	}
	return out
}
