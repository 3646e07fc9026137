package bot

import (
	"context"

	"github.com/flsps/faqbot/internal/llm"
)

// This file is the conversation layer's optional LLM step, shared by every
// channel (Service.Handle) and by `faqbot ask`. The engine stays pure; this
// step only ever (1) moves a grey-band unknown to one of the engine's own
// candidates and (2) rewrites a matched FAQ answer, fact-checked. Fixed
// texts (emergency, opt-out, opt-in, help, booking, human, smalltalk,
// unknown) never reach the model.

// Phrasing values of a Decision.
const (
	PhrasingLLM     = "llm"
	PhrasingCurated = "curated"
)

// Refine applies m to the engine's decision d on text, within m's budget
// for one message: the assist step for a grey-band unknown, then phrasing
// for an FAQ answer. With m nil (no model configured) d is returned as it
// is. It never fails: whatever the model does, the result is d or a
// decision the engine could have made, with Phrasing and Fallback saying
// what happened.
func Refine(ctx context.Context, m *llm.Client, e *Engine, text string, d Decision) Decision {
	if m == nil {
		return d
	}
	d.Phrasing = PhrasingCurated
	if d.Intent != IntentFAQ && !(d.Intent == IntentUnknown && d.Grey) {
		return d // fixed text: never sent to the model
	}
	ctx, cancel := context.WithTimeout(ctx, m.MessageBudget())
	defer cancel()
	clinic := e.Clinic().DisplayName()
	if sn := e.Clinic().ShortName(); sn != "" && sn != clinic {
		clinic += " (" + sn + ")"
	}

	if d.Intent == IntentUnknown && m.AssistOn() {
		opts := make([]llm.Option, 0, len(d.Candidates))
		score := map[string]float64{}
		for _, c := range d.Candidates {
			en := e.entries[c.FAQID]
			if en == nil {
				continue
			}
			opts = append(opts, llm.Option{ID: c.FAQID, Question: en.Question, Answer: en.Answer})
			score[c.FAQID] = c.Score
		}
		id, fb := m.Choose(ctx, llm.ChooseInput{Clinic: clinic, Message: text, Options: opts})
		if id == "" {
			d.Fallback = fb
			return d
		}
		// Only a candidate can come back (Choose validates), and its
		// answer is the curated one.
		cands := d.Candidates
		d = e.decision(IntentFAQ, id, score[id], d.Lang, false, false, "assist: llm")
		d.Candidates, d.Assist, d.Phrasing = cands, "llm", PhrasingCurated
	}

	if d.Intent == IntentFAQ && m.PhrasingOn() {
		p := m.Phrase(ctx, llm.PhraseInput{Clinic: clinic, Message: text, Curated: d.Reply, Lang: d.Lang})
		if p.Text == "" {
			d.Fallback = p.Fallback
			return d
		}
		d.Curated, d.Reply, d.Phrasing = d.Reply, p.Text, PhrasingLLM
	}
	return d
}
