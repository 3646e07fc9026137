package bot

import (
	"slices"
	"strings"

	"github.com/flsps/faqbot/internal/nlu"
)

// This file is stage 2 of Decide: self-harm and emergency patterns, and
// whether an emergency pattern's match is a symptom the writer (or someone
// with them) has now, or only a worry, a general question, a needle phobia
// or someone else's past. Recall comes first: any sign of the present
// keeps the emergency.

// urgent returns the emergency decision when a self-harm pattern matches
// toks, or an emergency pattern does with a match that is not clearly
// outside the writer's present (see notCurrent).
func (e *Engine) urgent(toks []nlu.Token, lang string, c Context) (Decision, bool) {
	for _, p := range e.selfHarm.Candidates(toks) {
		if p.Find(toks, false) >= 0 {
			return e.decision(IntentEmergency, "", 1, lang, c.AfterHours, true, "self-harm: "+p.Src), true
		}
	}
	for _, p := range e.emergency.Candidates(toks) {
		// Every match counts: a general question may come before a report.
		for s, end := p.Span(toks, true); s >= 0; s, end = p.SpanFrom(toks, s+1, true) {
			if !notCurrent(toks, s, end) {
				return e.decision(IntentEmergency, "", 0.95, lang, c.AfterHours, false, "emergency: "+p.Src), true
			}
		}
	}
	return Decision{}, false
}

// Words that place an urgent symptom outside the patient's present:
// something read or asked in general ("can botox ever cause trouble
// swallowing?"), a fear of needles ("i pass out at the sight of needles"),
// or a third person's past elsewhere ("my sister had double vision after
// botox at another place"). Used only when nothing in the message says the
// symptom is happening now (see notCurrent).
var (
	hypothetical = wordSet(`read heard hear ever cause causes give gives possible risk risks chance chances common rare happen happens side`)
	phobiaObject = wordSet(`needle needles blood sight aguja agujas sangre`)
	elsewhere    = wordSet(`elsewhere somewhere spa another`)
	thirdParty   = wordSet(`sister brother friend friends mom mother dad father husband wife cousin aunt uncle coworker neighbor someone people person hermana hermano amiga amigo mama papa esposo esposa`)
	// Any of these anywhere keeps the emergency: time words of the present,
	// "is it normal", asking for help.
	presentAnywhere = wordSet(`now since still today tonight yesterday currently started starting worse worsening normal help 911 er hospital urgent ahora todavia hoy ayer desde ayuda urgente emergencia`)
	// Any of these in the symptom's own clause keeps it: present tense.
	presentInClause = wordSet(`is am im are has have having cant cannot feel feels feeling keeps keep getting got`)
)

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// notCurrent reports an emergency match toks[s:end] that is clearly not a
// symptom the writer (or someone with them) has now. Recall first: any
// present-time word in the message, or a present-tense verb in the
// symptom's clause, keeps the emergency.
func notCurrent(toks []nlu.Token, s, end int) bool {
	for _, t := range toks {
		if presentAnywhere[t.Raw] {
			return false
		}
	}
	clause, sentence := toks[s].Clause, toks[s].Sentence
	// A habitual faint ("i pass out at the sight of needles", "me desmayo
	// con las agujas") is a phobia, and the question after it ("how bad is
	// this gonna be") is no present-tense report: only the words up to the
	// symptom are read for the tense then. "fainted", "passing out", "feel
	// faint" are not habitual.
	limit := len(toks)
	faintPhobia := habitualFaint(toks[s:end]) || nearFaint(toks, s)
	if faintPhobia {
		for _, t := range toks {
			if t.Sentence == sentence && phobiaObject[t.Raw] {
				limit = end
			}
		}
	}
	// A worry about later ("what if my eyelid droops after", "could botox
	// make it hard to swallow?", "worried i'll end up with droopy brows")
	// is no report when the worry opens the symptom's own clause and that
	// clause has no present-tense verb but the "have" of "what if i have"
	// ("might be nothing but im having trouble swallowing" stays).
	if hs := hypotheticalOpen(toks, s, end); hs >= 0 && toks[hs].Clause == clause {
		present := false
		for _, t := range toks[:limit] {
			if t.Clause == clause && presentInClause[t.Raw] && t.Raw != "have" && t.Raw != "has" {
				present = true
			}
		}
		if !present {
			return true
		}
	}
	for _, t := range toks[:limit] {
		if t.Clause == clause && presentInClause[t.Raw] {
			return false
		}
	}
	var hypo, phobia, away, other bool
	for k, t := range toks {
		if t.Sentence != sentence {
			continue
		}
		switch {
		case k < s && hypothetical[t.Raw]:
			hypo = true
		case phobiaObject[t.Raw] && (k < s || k >= end):
			phobia = true
		case elsewhere[t.Raw]:
			away = true
		case k < s && thirdParty[t.Raw]:
			other = true
		}
	}
	// Only a habitual faint, or a near faint away from the treatment, is a
	// phobia: "i fainted after the shot, i hate needles" is a report.
	return hypo || (faintPhobia && phobia) || (away && other)
}

// hypotheticalOpen returns the index of the word that makes the sentence
// of toks[s] a worry about later, or -1: "what if" or a question modal
// ("could", "will", "would", "can", "might") opening the sentence with a
// verb of causing before the match ends ("could i get a fever from it"), or a
// worry word followed by a future ("worried i'll", "afraid it will").
func hypotheticalOpen(toks []nlu.Token, s, end int) int {
	sentence := toks[s].Sentence
	start := true
	for k := 0; k < s; k++ {
		t := toks[k]
		if t.Sentence != sentence {
			continue
		}
		if start && openers[t.Raw] {
			continue
		}
		if start && questionModals[t.Raw] && causalBefore(toks, k+1, end) {
			// "could botox make it hard to swallow", "will it give me a
			// droopy eyelid"; not "could it be botox that my eyelid droops",
			// which asks about a symptom the writer has.
			return k
		}
		if start && futureModals[t.Raw] && k+1 < len(toks) && (toks[k+1].Raw == "i" || toks[k+1].Raw == "my") && !presentInSentence(toks, sentence) {
			// "will i bruise after botox", "will my lips swell": the
			// writer asks what is to come (a present-tense verb anywhere
			// in the sentence still makes it a report: "will i bruise,
			// my arm is already purple").
			return k
		}
		if start && (t.Raw == "what" || t.Raw == "y" || t.Raw == "que") && k+1 < s && (toks[k+1].Raw == "if" || toks[k+1].Raw == "tal" || toks[k+1].Raw == "pasa") {
			return k
		}
		start = false
		if worryWords[t.Raw] || worryWords[t.Stem] {
			for j := k + 1; j < s && j <= k+4; j++ {
				if futureWords[toks[j].Raw] {
					return k
				}
			}
		}
	}
	return -1
}

// presentInSentence reports a present-tense verb (presentInClause) in a
// sentence of toks.
func presentInSentence(toks []nlu.Token, sentence int) bool {
	return slices.ContainsFunc(toks, func(t nlu.Token) bool { return t.Sentence == sentence && presentInClause[t.Raw] })
}

// causalBefore reports a verb of causing among toks[from:to].
func causalBefore(toks []nlu.Token, from, to int) bool {
	for _, t := range toks[from:to] {
		if causalVerbs[t.Raw] {
			return true
		}
	}
	return false
}

var (
	causalVerbs = wordSet(`make makes cause causes give gives lead leads result trigger get end`)
	// openers may come before the question word of a sentence.
	openers        = wordSet(`so and but ok okay hi hey um also then y pero oye well quick question`)
	questionModals = wordSet(`could would will can might may`)
	futureModals   = wordSet(`will would might`)
	worryWords     = wordSet(`worried worry worri worries afraid scared fear nervous concerned preocupa preocupada preocupado miedo`)
	futureWords    = wordSet(`ill will might could would gonna going end`)
)

// habitualFaint reports a faint word in the habitual present ("i faint",
// "pass out", "me desmayo").
func habitualFaint(span []nlu.Token) bool {
	for _, t := range span {
		switch t.Raw {
		case "faint", "faints", "pass", "desmayo", "desmaya":
			return true
		}
	}
	return false
}

// nearFaint reports a faint that nearly happened ("i almost passed out at
// my last blood draw") in a sentence that names no treatment: a needle
// phobia's story, not a reaction, as is one on an earlier occasion ("at my
// last flu shot"). "i almost fainted after the botox" names the treatment
// and stays a report.
func nearFaint(toks []nlu.Token, s int) bool {
	if s == 0 || !nearly[toks[s-1].Raw] {
		return false
	}
	treatment := false
	for _, t := range toks {
		if t.Sentence != toks[s].Sentence {
			continue
		}
		// A phrase a synonym mapped keeps its words ("my last").
		if slices.ContainsFunc(strings.Fields(t.Raw), func(w string) bool { return earlierOccasion[w] }) {
			return true // "at my last flu shot"
		}
		treatment = treatment || treatmentWords[t.Raw]
	}
	return !treatment
}

var (
	nearly          = wordSet(`nearly almost practically casi`)
	earlierOccasion = wordSet(`last previous ultima ultimo anterior`)
	treatmentWords  = wordSet(`botox shot shots injection injections injected treatment procedure inyeccion inyecciones tratamiento`)
)
