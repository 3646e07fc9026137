package bot

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/flsps/faqbot/internal/faq"
	"github.com/flsps/faqbot/internal/nlu"
)

// This file is the last chance before "unknown": a message that no
// pattern and no FAQ entry decided is compared, by character trigrams,
// with the intents' fallback_examples and with every FAQ phrasing. When
// its nearest example belongs to an intent, clearly nearer than any FAQ
// phrasing, that intent decides: misspelled requests ("plz stpo txting
// me", "can somone cal me") still reach their intent.

// Chosen by a sweep over the messages that reach the gate in
// faq/tests.jsonl, the shared dev sets, testdata/safety-*.jsonl and
// CLINC150's validation set: at 0.55/0.2 it decides 11 of the 22
// misspelled requests in testdata/safety-typos.jsonl, changes nothing in
// tests.jsonl or the dev sets, and misreads 14 of ~2,300 unrelated
// assistant commands (2 of them as opt-in/out); at 0.45/0.1, 54.
var (
	fallbackMin    = 0.55 // lowest similarity to an intent's example that decides
	fallbackMargin = 0.20 // how much nearer than any FAQ phrasing it must be
)

// fallbackFAQ labels the FAQ phrasings in the nearest-example classifier.
const fallbackFAQ = "faq"

// fallbackIntents are the intents whose fallback_examples are read. Not
// emergency: a general question ("can botox cause trouble swallowing?")
// lies as near a report as a misspelled report does, and the speller
// already corrects towards the emergency patterns' words.
var fallbackIntents = []Intent{IntentOptIn, IntentOptOut, IntentHelp, IntentBooking, IntentHuman}

// newFallback builds the nearest-example classifier from set; nil when no
// intent has fallback examples.
func newFallback(set *faq.Set) *nlu.NgramClassifier {
	var texts, labels []string
	for _, in := range fallbackIntents {
		if it := set.Intents[string(in)]; it != nil {
			for _, x := range it.FallbackExamples {
				texts, labels = append(texts, x), append(labels, string(in))
			}
		}
	}
	if len(texts) == 0 {
		return nil
	}
	for _, en := range set.Entries {
		for _, t := range []faq.Text{en.Text, en.ES} {
			for _, x := range append([]string{t.Question}, t.Alternates...) {
				if x != "" {
					texts, labels = append(texts, x), append(labels, fallbackFAQ)
				}
			}
		}
	}
	return nlu.NewNgramClassifier(texts, labels)
}

// nearestExample decides text (toks) by its nearest fallback example, or
// reports false. Opt-in is not considered when the message rules it out
// (optInRuledOut): "how did you start texting me" lies near "start texting
// me again" but asks no opt-in, and a wrong opt-in texts someone who opted
// out. Nor is opt-out when the message asks for texts again
// (optOutRuledOut): "pls send me msgs agian" lies near "no more messages
// please", and a request to be texted again must never unsubscribe.
func (e *Engine) nearestExample(text string, toks []nlu.Token, lang string, c Context) (Decision, bool) {
	if e.fallback == nil {
		return Decision{}, false
	}
	hits := e.fallback.Nearest(text)
	var best nlu.NgramHit
	for _, in := range fallbackIntents {
		if in == IntentOptIn && e.optInRuledOut(toks) || in == IntentOptOut && e.optOutRuledOut(toks) {
			continue
		}
		if h, ok := hits[string(in)]; ok && h.Score > best.Score {
			best = h
		}
	}
	if best.Score < fallbackMin || best.Score < hits[fallbackFAQ].Score+fallbackMargin {
		return Decision{}, false
	}
	rule := fmt.Sprintf("nearest example: %q (%.2f; nearest FAQ phrasing %.2f)", best.Example, best.Score, hits[fallbackFAQ].Score)
	return e.decision(Intent(best.Label), "", best.Score, lang, c.AfterHours, false, rule), true
}

// optOutRuledOut reports whether a message reads as something other than
// a refusal of texts: one of opt-out's exceptions matches ("did i
// unsubscribe?"), or it asks for texts again, with a word of direction
// ("again", "back", "resume", "de nuevo") and no sign of refusing them (a
// negation, an opt-out pattern, one of opt-in's blockers). Such a message
// is never unsubscribed on resemblance alone; if no pattern reads it,
// staff do.
func (e *Engine) optOutRuledOut(toks []nlu.Token) bool {
	if e.excepted(toks, IntentOptOut) {
		return true // "did i unsubscribe?"
	}
	if negated(toks) {
		return false
	}
	return slices.ContainsFunc(toks, func(t nlu.Token) bool { return textsAgain[t.Raw] || textsAgain[t.Stem] }) &&
		!e.refusalOutside(toks, 0, 0)
}

// textsAgain are the words of direction that turn a request for texts into
// a request to have them again, with the misspellings the speller leaves
// alone ("again" is a function word, so it never corrects towards it).
var textsAgain = wordSet(`again agian agin agan agen againn back bak bck resume resumed restart anew nuevo nuevamente vez`)

// soundOut reads a message that nothing answered a second time, with the
// words spelt by ear that no single edit corrects replaced by the
// vocabulary words they sound like (nlu.Analyzer.SoundOut: "is it saif",
// "hormoan therapy", "stahp texting me"). Its decision counts only when
// the second reading is sure of something other than an opt-in (a sound
// guess never resubscribes anyone), small talk or unknown; the rule says
// it was sounded out.
func (e *Engine) soundOut(t nlu.Text, c Context) (Decision, bool) {
	text, ok := e.an.SoundOut(t)
	if !ok {
		return Decision{}, false
	}
	d := e.decide(text, c, true)
	switch d.Intent {
	case IntentUnknown, IntentSmalltalk, IntentOptIn:
		return Decision{}, false
	}
	d.Rule = "sounded out " + strconv.Quote(text) + ": " + d.Rule
	return d, true
}
