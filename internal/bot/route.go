package bot

import (
	"slices"
	"strings"

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
			s, end := p.Span(seen, true)
			if s < 0 || g.in == IntentOptIn && e.refusesTexts(toks, p, s, end) {
				continue
			}
			return e.decision(g.in, "", 0.9, lang, c.AfterHours, false, string(g.in)+": "+p.Src), true
		}
	}
	return Decision{}, false
}

// refusesTexts reports whether a message that matched opt-in pattern p at
// toks[s:end] refuses texts all the same, so that it must not resubscribe
// anyone: an opt-out pattern or one of opt-in's blockers matches outside
// p's match ("i asked you to stop and you started texting me again"), or a
// negation that is not one of p's own words lies inside it ("i still don't
// want texts"). What p's match itself reads is answered by it: "i replied
// stop by mistake" and "please don't stop texting me" are opt-ins.
func (e *Engine) refusesTexts(toks []nlu.Token, p *nlu.Pattern, s, end int) bool {
	if e.refusalOutside(toks, s, end) {
		return true
	}
	own := strings.FieldsFunc(p.Src, func(r rune) bool { return r == ' ' || r == '|' || r == '&' })
	for k := s; k < end; k++ {
		if nlu.IsNegation(toks[k].Raw) && !slices.Contains(own, toks[k].Raw) {
			return true
		}
	}
	return false
}

// optInRuledOut reports whether a message can be no opt-in whatever it
// resembles: one of opt-in's exceptions matches ("why did you start
// texting me"), or it shows a sign of refusing texts, a negation, an
// opt-out pattern or one of opt-in's blockers ("no vuelvan a mandarme
// mensajes" lies nearest "vuelvan a mandarme mensajes"). Booking's
// exceptions only hide words ("my next scheduled visit" may still be about
// booking), so they rule nothing out.
func (e *Engine) optInRuledOut(toks []nlu.Token) bool {
	if e.excepted(toks, IntentOptIn) {
		return true
	}
	return negated(toks) || e.refusalOutside(toks, 0, 0)
}

// negated reports a negation word anywhere in toks.
func negated(toks []nlu.Token) bool {
	return slices.ContainsFunc(toks, func(t nlu.Token) bool { return nlu.IsNegation(t.Raw) })
}

// refusalOutside reports whether an opt-out pattern or one of opt-in's
// blockers matches toks other than inside toks[s:end] (anywhere, when the
// range is empty), with no contrast word between the two: in "i
// unsubscribed but i want texts again" the "but" turns from the refusal to
// the request.
func (e *Engine) refusalOutside(toks []nlu.Token, s, end int) bool {
	// Both read the message as the opt-out patterns do in route, without
	// opt-out's exceptions' words: being unsubscribed ("i got unsubscribed
	// somehow, please add me back") refuses nothing.
	seen := hide(toks, e.routeExceptions[IntentOptOut])
	for _, ps := range []*nlu.PatternSet{e.optout, e.optinBlockers} {
		for _, q := range ps.Candidates(seen) {
			qs, qe := q.Span(seen, true)
			if qs < 0 || qs >= s && qe <= end {
				continue
			}
			if end > s && (qe <= s && contrastIn(toks[qe:s]) || qs >= end && contrastIn(toks[end:qs])) {
				continue
			}
			return true
		}
	}
	return false
}

// contrastIn reports whether toks hold a contrast word ("but", "pero").
func contrastIn(toks []nlu.Token) bool {
	return slices.ContainsFunc(toks, func(t nlu.Token) bool { return nlu.IsContrast(t.Raw) })
}

// excepted reports whether one of the intent's exceptions matches toks
// (hide returns toks itself when none does).
func (e *Engine) excepted(toks []nlu.Token, in Intent) bool {
	return len(toks) > 0 && &hide(toks, e.routeExceptions[in])[0] != &toks[0]
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
