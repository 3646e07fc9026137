package match

import (
	"testing"

	"github.com/flsps/faqbot/internal/nlu"
)

func train(t *testing.T, phrasings map[string][]string) (*Model, *nlu.Analyzer) {
	t.Helper()
	an := nlu.NewAnalyzer(nil)
	var docs []Doc
	for _, label := range []string{"duration", "safety", "hours"} {
		for _, p := range phrasings[label] {
			docs = append(docs, Doc{Label: label, Text: p, Tokens: an.Tokens(p)})
		}
	}
	return Train(docs), an
}

var plain = map[string][]string{
	"duration": {"how long does botox last", "when does it wear off", "how many months does the effect stay"},
	"safety":   {"is botox safe", "is it dangerous", "are there risks"},
	"hours":    {"when are you open", "what are your opening hours", "are you open on saturday"},
}

func TestScoreFindsTheParaphrasedLabel(t *testing.T) {
	m, an := train(t, plain)
	cases := []struct{ name, text, want string }{
		{"reordered words", "botox, how long does it last", "duration"},
		{"misspelt", "how lnog does botocks last", "duration"},
		{"spelt by ear", "is botox saif", "safety"},
		{"other words", "what time do you open on saturday", "hours"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := m.Score(an.Tokens(c.text))
			if r.Label != c.want {
				t.Errorf("Score(%q) = %s (%.2f), want %s; runner-up %s (%.2f)", c.text, r.Label, r.Score, c.want, r.Second, r.Score2)
			}
		})
	}
}

func TestUnseenWordsLowerTheScore(t *testing.T) {
	m, an := train(t, plain)
	in := m.Score(an.Tokens("how long does botox last"))
	out := m.Score(an.Tokens("how long is the drive from miami to tampa on a holiday weekend"))
	if out.Score >= in.Score/2 {
		t.Errorf("out-of-scope score %.2f, in-scope %.2f: want the out-of-scope one far lower", out.Score, in.Score)
	}
}

func TestTrainingIsDeterministic(t *testing.T) {
	m1, an := train(t, plain)
	m2, _ := train(t, plain)
	for _, text := range []string{"is it risky", "open sunday?", "wear off when"} {
		a, b := m1.Score(an.Tokens(text)), m2.Score(an.Tokens(text))
		if a.Label != b.Label || a.Score != b.Score || a.Second != b.Second || a.Score2 != b.Score2 {
			t.Errorf("Score(%q) differs between two trainings: %+v vs %+v", text, a, b)
		}
	}
}

func TestExplainNamesTheSharedWords(t *testing.T) {
	m, an := train(t, plain)
	toks := an.Tokens("how long will botox last")
	r := m.Score(toks)
	m.Explain(toks, &r, 3)
	if r.Neighbour != "how long does botox last" || len(r.Features) == 0 {
		t.Errorf("Explain: neighbour %q, features %v", r.Neighbour, r.Features)
	}
}
