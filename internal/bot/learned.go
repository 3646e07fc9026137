package bot

import (
	"fmt"
	"slices"
	"strings"

	"github.com/flsps/faqbot/internal/faq"
	"github.com/flsps/faqbot/internal/match"
	"github.com/flsps/faqbot/internal/nlu"
)

// train builds the learned matcher from every phrasing of every entry
// (question, alternates, keywords, English and Spanish) and the intents'
// examples (labelled with intentPrefix).
func (e *Engine) train() *match.Model {
	var docs []match.Doc
	add := func(label, text string) {
		if text != "" {
			docs = append(docs, match.Doc{Label: label, Text: text, Tokens: e.an.Tokens(text)})
		}
	}
	for _, en := range e.set.Entries {
		for _, t := range []faq.Text{en.Text, en.ES} {
			add(en.ID, t.Question)
			for _, a := range t.Alternates {
				add(en.ID, a)
			}
			for _, k := range t.Keywords {
				add(en.ID, k)
			}
		}
	}
	names := make([]string, 0, len(e.set.Intents))
	for name := range e.set.Intents {
		names = append(names, name)
	}
	slices.Sort(names) // labels keep a fixed order: it breaks ties
	for _, name := range names {
		for _, ex := range e.set.Intents[name].Examples {
			add(intentPrefix+name, ex)
		}
	}
	return match.Train(docs)
}

// learned is the last reading of stage 6: the learned matcher's best entry,
// when its score and its margin over the runner-up clear learnedMin and
// learnedMargin (gate.go) and content words give part of its score (or the
// message is nearly one of its phrasings: learnedNear). why names the
// nearest phrasing and the shared features that decided.
func (e *Engine) learned(toks []nlu.Token) (id string, conf float64, why string, ok bool) {
	r := e.model.Score(toks)
	if r.Label == "" || strings.HasPrefix(r.Label, intentPrefix) || e.entries[r.Label] == nil {
		return "", 0, "", false
	}
	bar := learnedMin
	if !e.plain[r.Label] {
		bar = learnedHinted
	}
	if r.Score < bar || r.Score-r.Score2 < learnedMargin || r.Content <= learnedContent*r.Score && r.NN < learnedNear {
		return "", 0, "", false
	}
	e.model.Explain(toks, &r, 4)
	why = fmt.Sprintf("learned: nearest %q (score %.2f, runner-up %s %.2f; shared %s)", r.Neighbour, r.Score, r.Second, r.Score2, strings.Join(r.Features, ", "))
	return r.Label, learnedConfidence(r), why, true
}

// learnedConfidence maps a score that cleared the bar to the confidence
// shown with the answer: learnedMin answers at minConfidence, and the
// score at learnedSure or above at uncuedCap.
func learnedConfidence(r match.Result) float64 {
	f := (r.Score - learnedMin) / (learnedSure - learnedMin)
	return minConfidence + (uncuedCap-minConfidence)*max(0, min(1, f))
}
