package bot

// Stage 6's re-readings of a message: the words the patient denies, the
// topic named as the baseline of a comparison, and the clause or sentence
// that holds a cue (focus). Decide searches each reading and keeps the
// clearest.

import (
	"slices"
	"strings"

	"github.com/flsps/faqbot/internal/nlu"
)

// negatedWords marks the content words the patient denies before asking
// ("no me falta el aire ni nada, solo quería saber cuánto dura"): words
// under a plain negation in a clause that asks nothing and is followed by
// another clause or a contrast word. nil when there are none.
func (e *Engine) negatedWords(toks []nlu.Token) []bool {
	var drop []bool
	last := toks[len(toks)-1].Clause
	for i := range toks {
		t := toks[i]
		if nlu.IsStopword(t.Raw) || !nlu.Negated(toks, i) || !deniedAfter(toks, i) {
			continue
		}
		asks, later := false, t.Clause != last
		for _, u := range toks {
			if u.Clause == t.Clause && questionWords[u.Raw] {
				asks = true
			}
		}
		for _, u := range toks[i+1:] {
			if u.Clause == t.Clause && (u.Raw == "but" || u.Raw == "pero" || u.Raw == "just" || u.Raw == "solo") {
				later = true
			}
		}
		if asks || !later {
			continue
		}
		if drop == nil {
			drop = make([]bool, len(toks))
		}
		drop[i] = true
	}
	return drop
}

// plainNegations deny (worries like "afraid" or "nervous" do not).
var plainNegations = wordSet(`no not dont doesnt didnt havent hasnt isnt arent wasnt never without nor ni sin nunca tampoco nada`)

// deniedAfter reports a plain negation among the NegationWindow words
// before toks[i] in its clause.
func deniedAfter(toks []nlu.Token, i int) bool {
	for j := i - 1; j >= 0 && j >= i-nlu.NegationWindow && toks[j].Clause == toks[i].Clause; j-- {
		if plainNegations[toks[j].Raw] {
			return true
		}
	}
	return false
}

// baseline words open what the patient already knows, against which the
// question is asked: "only cosmetic", "or just for pain", "solo para la
// cara".
var (
	baseline = wordSet(`only solo solamente nomas unicamente merely just`)
	switches = wordSet(`or o but pero also tambien too`)
	// baselineBefore may precede a baseline word: "or only", "was only".
	baselineBefore = wordSet(`or o not is was are were its it es era y`)
)

// baselineWords marks the topic words (entries' topics) that follow a
// baseline word in its clause ("i thought it was only cosmetic"); nil when
// there are none. The baseline word counts only after "or", "not" or a
// form of "be", or before "for"/"para".
func (e *Engine) baselineWords(toks []nlu.Token) []bool {
	var drop []bool
	found := false
	for i, t := range toks {
		if !baseline[t.Raw] {
			continue
		}
		// "or only", "was only", "only for": not "i only want botox for my jaw".
		if !(i > 0 && baselineBefore[toks[i-1].Raw] ||
			i+1 < len(toks) && (toks[i+1].Raw == "for" || toks[i+1].Raw == "para" || strings.HasPrefix(toks[i+1].Raw, "for "))) {
			continue
		}
		// "just for looks or only medical" offers two alternatives: neither
		// is the baseline of the other.
		if orOnlyAfter(toks, i) {
			continue
		}
		if drop == nil {
			drop = make([]bool, len(toks))
		}
		drop[i] = true // "only" itself is no topic
		content := 0
		for k := i + 1; k < len(toks) && toks[k].Clause == t.Clause && content < 3; k++ {
			if switches[toks[k].Raw] {
				break // "just for pain or also for wrinkles"
			}
			if nlu.IsStopword(toks[k].Raw) {
				continue
			}
			content++
			if len(e.topic[toks[k].Stem]) > 0 {
				drop[k], found = true, true
			}
		}
	}
	// "does botox for pain work the same way as the wrinkle kind": what
	// follows "as/than/from" after a comparison word is the baseline.
	for i, t := range toks {
		if !compareTo[t.Raw] || i == 0 {
			continue
		}
		near := false
		for k := max(0, i-4); k < i; k++ {
			near = near || compare[toks[k].Raw] || toks[k].Raw == "similar"
		}
		if !near {
			continue
		}
		content := 0
		for k := i + 1; k < len(toks) && toks[k].Clause == t.Clause && content < 3; k++ {
			if nlu.IsStopword(toks[k].Raw) {
				continue
			}
			content++
			if len(e.topic[toks[k].Stem]) > 0 {
				if drop == nil {
					drop = make([]bool, len(toks))
				}
				drop[k], found = true, true
			}
		}
	}
	if !found {
		return nil
	}
	return drop
}

// compares reports a comparison word ("same", "different", "vs").
func compares(toks []nlu.Token) bool {
	for _, t := range toks {
		if compare[t.Raw] || t.Raw == "similar" {
			return true
		}
	}
	return false
}

// orOnlyAfter reports "or only/just" later in the clause of toks[i].
func orOnlyAfter(toks []nlu.Token, i int) bool {
	for k := i + 1; k+1 < len(toks) && toks[k].Clause == toks[i].Clause; k++ {
		if (toks[k].Raw == "or" || toks[k].Raw == "o") && baseline[toks[k+1].Raw] {
			return true
		}
	}
	return false
}

// compareTo introduce the baseline of a comparison ("same as", "different
// from", "better than").
var compareTo = wordSet(`as than from to que`)

// focus searches the clause, then the sentence, of each cue match in cr's
// message on its own, and returns the best reading answered by the cued
// entry itself.
// Each distinct reading is searched once, whatever the number of cues that
// point at it, so the cost grows with the message, not with the cues.
func (e *Engine) focus(cr *cueReading) (nlu.Hit, float64) {
	toks := cr.toks
	type reading struct {
		sentence bool
		at       int // the clause or sentence kept
		ids      []string
	}
	var rs []reading
	for _, m := range cr.m {
		i, s := m.cue, int(m.s)
		if s < 0 {
			continue
		}
		for _, sameSentence := range []bool{false, true} {
			at := toks[s].Clause
			if sameSentence {
				at = toks[s].Sentence
			}
			k := slices.IndexFunc(rs, func(r reading) bool { return r.sentence == sameSentence && r.at == at })
			if k < 0 {
				rs = append(rs, reading{sentence: sameSentence, at: at})
				k = len(rs) - 1
			}
			if !slices.Contains(rs[k].ids, e.cueOwner[i]) {
				rs[k].ids = append(rs[k].ids, e.cueOwner[i])
			}
		}
	}
	var best nlu.Hit
	var bestConf float64
	all := len(terms(toks))
	for _, r := range rs {
		ft := mask(toks, func(t nlu.Token) bool {
			if r.sentence {
				return t.Sentence != r.at
			}
			return t.Clause != r.at
		})
		n := len(terms(ft))
		if n == 0 || n == all {
			continue
		}
		h, cf := e.search(ft, cr)
		if slices.Contains(r.ids, h.Label) && cf > bestConf && e.cuedFor(ft, cr, h.Label) {
			best, bestConf = h, cf
		}
	}
	return best, bestConf
}
