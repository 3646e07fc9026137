package bot

import "github.com/flsps/faqbot/internal/nlu"

// This file is stage 4 of Decide: topics the clinic's page does not
// answer (faq/intents/unknown.yaml blockers) force unknown, even when the
// message shares words with an entry. It runs after the emergency stage,
// so no blocker ever outranks a symptom.

// blocked returns the unknown decision when a blocker matches toks; the
// words of the blockers' exceptions ("is it a drug or a filler") and the
// words the patient denies before asking ("no swelling or anything, is it
// normal to...": see negatedWords) are hidden from them first.
func (e *Engine) blocked(toks []nlu.Token, lang string, c Context) (Decision, bool) {
	btoks := hide(toks, e.exceptions)
	if drop := e.negatedWords(toks); drop != nil {
		btoks = maskAt(btoks, drop)
	}
	for _, p := range e.blockers.Candidates(btoks) {
		if p.Find(btoks, false) >= 0 {
			return e.decision(IntentUnknown, "", 0.9, lang, c.AfterHours, false, "blocker: "+p.Src), true
		}
	}
	return Decision{}, false
}
