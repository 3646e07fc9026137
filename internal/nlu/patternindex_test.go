package nlu

import (
	"math/rand"
	"strings"
	"testing"
)

// TestSpanOfIsSpanFrom checks the index's matching on word numbers
// against Pattern.SpanFrom on random patterns and messages (with clause
// breaks, stopwords inside gaps and hidden words).
func TestSpanOfIsSpanFrom(t *testing.T) {
	a := NewAnalyzer(nil)
	r := rand.New(rand.NewSource(1))
	vocab := strings.Fields("how long last botox pain jaw help it is the a for does lie down after shots")
	var ps []Pattern
	for len(ps) < 300 {
		var b strings.Builder
		for k, n := 0, 1+r.Intn(3); k < n; k++ {
			if k > 0 && r.Intn(2) == 0 {
				b.WriteString(" * ")
			}
			b.WriteString(" " + vocab[r.Intn(len(vocab))])
			if r.Intn(3) == 0 {
				b.WriteString("|" + vocab[r.Intn(len(vocab))])
			}
			if r.Intn(15) == 0 {
				b.WriteString(" pai*") // not simple: matched as before
			}
		}
		if r.Intn(15) == 0 {
			b.WriteString(" & " + vocab[r.Intn(len(vocab))])
		}
		p, err := a.CompilePattern(b.String())
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	x := NewPatternIndex(ps)
	found := 0
	for m := 0; m < 400; m++ {
		var b strings.Builder
		for k, n := 0, 3+r.Intn(12); k < n; k++ {
			b.WriteString(" " + vocab[r.Intn(len(vocab))])
			if r.Intn(8) == 0 {
				b.WriteString(",")
			}
		}
		toks := a.Analyze(b.String()).Tokens
		for k := range toks {
			if r.Intn(6) == 0 {
				toks[k].Raw, toks[k].Stem = "", ""
			}
		}
		words := x.Words(toks, nil)
		for i := range ps {
			from := 0
			if len(toks) > 0 && r.Intn(2) == 0 {
				from = r.Intn(len(toks))
			}
			s, e := x.SpanOf(ps, int32(i), toks, words, from)
			ws, we := ps[i].SpanFrom(toks, from, false)
			if ws >= 0 {
				found++
			}
			if s != ws || e != we {
				t.Fatalf("%q in %q from %d: SpanOf = %d, %d, want %d, %d", ps[i].Src, b.String(), from, s, e, ws, we)
			}
		}
	}
	if found < 1000 {
		t.Errorf("only %d matches: the test checks too little", found)
	}
}
