package nlu

import "strings"

// Analyzer turns text into tokens: normalise, expand texting abbreviations,
// correct spelling against its vocabulary, map synonyms to canonical words,
// stem. The FAQ, the patterns and the messages all go through the same
// analyzer, so they meet in the same word space.
type Analyzer struct {
	syn     map[string][]synRule // by first word of the variant
	speller *Speller
	stubs   map[string]bool // prefix stubs of the target patterns
}

type synRule struct {
	from []string // folded words of the variant
	to   []string // folded canonical words
}

// NewAnalyzer builds an analyzer. synonyms maps a variant (word or phrase)
// to its canonical word or phrase.
func NewAnalyzer(synonyms map[string]string) *Analyzer {
	a := &Analyzer{syn: map[string][]synRule{}}
	for v, c := range synonyms {
		from := words(v)
		to := words(c)
		if len(from) == 0 || len(to) == 0 {
			continue
		}
		a.syn[from[0]] = append(a.syn[from[0]], synRule{from: from, to: to})
	}
	for k, rules := range a.syn { // longest variant first
		for i := 1; i < len(rules); i++ {
			for j := i; j > 0 && len(rules[j].from) > len(rules[j-1].from); j-- {
				rules[j], rules[j-1] = rules[j-1], rules[j]
			}
		}
		a.syn[k] = rules
	}
	return a
}

func words(s string) []string {
	t := Normalize(s)
	out := make([]string, 0, len(t.Words))
	for _, w := range t.Words {
		if e, ok := abbreviations[w.W]; ok {
			out = append(out, strings.Fields(e)...)
			continue
		}
		out = append(out, w.W)
	}
	return out
}

// SetVocabulary builds the spelling corrector. Words of targets (FAQ
// questions, alternates, emergency patterns) and synonyms are what a typo
// may be corrected to; words of known (other patterns, blockers),
// abbreviations and everyday words are left as typed but never proposed.
func (a *Analyzer) SetVocabulary(targets, known []string) {
	vocab := map[string]int{}
	a.stubs = map[string]bool{}
	for _, t := range targets {
		for _, w := range words(strings.ReplaceAll(strings.ReplaceAll(t, "*", " "), "|", " ")) {
			vocab[w]++
		}
		for _, w := range words(stubWords(t)) {
			a.stubs[w] = true
		}
	}
	for _, rules := range a.syn {
		for _, r := range rules {
			for _, w := range r.from {
				vocab[w]++
			}
			for _, w := range r.to {
				vocab[w]++
			}
		}
	}
	keep := map[string]bool{}
	for _, t := range known {
		for _, w := range words(strings.ReplaceAll(strings.ReplaceAll(t, "*", " "), "|", " ")) {
			keep[w] = true
		}
	}
	for w := range abbreviations {
		keep[w] = true
	}
	a.speller = NewSpeller(vocab, keep)
}

// stubOf returns the longest pattern prefix stub of four letters or more
// that w starts with, or "".
func (a *Analyzer) stubOf(w string) string {
	for n := len(w); n >= 4; n-- {
		if a.stubs[w[:n]] {
			return w[:n]
		}
	}
	return ""
}

// stubWords is the prefix stubs of a pattern ("desmay" of "desmay*"). A
// typo may be corrected to a stub (it then matches the prefix), but a word
// that already starts with the stub keeps its own form ("desmayo" stays,
// so its tense can still be read).
func stubWords(t string) string {
	var b strings.Builder
	for _, part := range strings.Fields(t) {
		for _, alt := range strings.Split(part, "|") {
			if len(alt) > 1 && strings.HasSuffix(alt, "*") && !strings.HasPrefix(alt, "*") {
				b.WriteString(strings.TrimSuffix(alt, "*"))
				b.WriteByte(' ')
			}
		}
	}
	return b.String()
}

// Analysis is a message ready for matching.
type Analysis struct {
	Text   Text
	Tokens []Token
	// Terms are the stems of the content words (no stopwords), for the index.
	Terms []string
	Lang  string // "en", "es" or "" (no evidence)
}

// Analyze processes a message.
func (a *Analyzer) Analyze(s string) Analysis { return a.AnalyzeText(Normalize(s)) }

// AnalyzeText is Analyze for a message already normalised (Normalize).
func (a *Analyzer) AnalyzeText(t Text) Analysis {
	an := Analysis{Text: t, Lang: DetectLang(t)}
	an.Tokens = a.processWords(t.Words, true)
	for _, tok := range an.Tokens {
		if !stopwords[tok.Raw] && !stopwords[tok.Stem] {
			an.Terms = append(an.Terms, tok.Stem)
		}
	}
	return an
}

// Terms processes a text (an alternate, a question) into index terms,
// without spelling correction.
func (a *Analyzer) Terms(s string) []string {
	var out []string
	for _, tok := range a.processWords(Normalize(s).Words, false) {
		if !stopwords[tok.Raw] && !stopwords[tok.Stem] {
			out = append(out, tok.Stem)
		}
	}
	return out
}

// Tokens processes a text (an alternate, a question) into tokens, without
// spelling correction: what a learned model is trained on.
func (a *Analyzer) Tokens(s string) []Token {
	return a.processWords(Normalize(s).Words, false)
}

func (a *Analyzer) processWords(in []Word, correct bool) []Token {
	// 1. abbreviations
	ws := make([]Word, 0, len(in)+2)
	for _, w := range in {
		if e, ok := abbreviations[w.W]; ok {
			for _, x := range strings.Fields(e) {
				ws = append(ws, Word{W: x, Clause: w.Clause, Sentence: w.Sentence})
			}
			continue
		}
		ws = append(ws, w)
	}
	// 2. spelling
	if correct && a.speller != nil {
		for i := range ws {
			c, ok := a.speller.Correct(ws[i].W)
			if !ok || a.stubs[c] && strings.HasPrefix(ws[i].W, c) {
				continue
			}
			// A word a pattern's prefix reads as typed keeps that prefix:
			// "textng" may become "texting", "reactiven" not "reaction".
			if st := a.stubOf(ws[i].W); st != "" && !strings.HasPrefix(c, st) {
				continue
			}
			ws[i].W = c
		}
	}
	// 3. synonyms (longest variant first) and 4. stems
	toks := make([]Token, 0, len(ws))
	for i := 0; i < len(ws); i++ {
		matched := false
		for _, r := range a.syn[ws[i].W] {
			if i+len(r.from) > len(ws) {
				continue
			}
			ok := true
			for k := 1; k < len(r.from); k++ {
				if ws[i+k].W != r.from[k] || ws[i+k].Clause != ws[i].Clause {
					ok = false
					break
				}
			}
			if !ok {
				continue
			}
			raw := ws[i].W
			if len(r.from) > 1 {
				raw = strings.Join(r.from, " ")
			}
			for _, c := range r.to {
				toks = append(toks, Token{Raw: raw, Stem: Stem(c), Clause: ws[i].Clause, Sentence: ws[i].Sentence})
			}
			i += len(r.from) - 1
			matched = true
			break
		}
		if !matched {
			toks = append(toks, Token{Raw: ws[i].W, Stem: Stem(ws[i].W), Clause: ws[i].Clause, Sentence: ws[i].Sentence})
		}
	}
	return toks
}
