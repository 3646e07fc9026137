package nlu

import (
	"fmt"
	"slices"
	"strings"
)

// Pattern is a trigger phrase: words in order, each slot a set of
// alternatives ("trouble|hard|cant"), "*" allowing up to MaxGap content
// words (and a few stopwords) in between, and "word*" matching any word that starts with "word". A match
// never crosses a clause boundary. "*word" matches any word ending in
// "word" (at least three letters before it: drug families like "*triptan"),
// and "#" any word with a digit ("14", "10am").
type Pattern struct {
	Src   string
	slots []slot
}

type slot struct {
	words    []string // stemmed alternatives
	prefixes []string // folded prefixes ("suicid*")
	suffixes []string // folded suffixes ("*triptan"): drug families
	number   bool     // "#": any word with a digit ("14", "10am")
	gap      bool     // up to MaxGap words may come before this slot
}

// MaxGap is how many words "*" may skip.
const MaxGap = 3

// Token is a processed word of a message.
type Token struct {
	Raw    string // folded, after abbreviation and spelling correction
	Stem   string // after synonyms and stemming
	Clause int
	// Sentence is the sentence the word belongs to.
	Sentence int
}

// CompilePattern parses src with the analyzer's word processing (without
// spelling correction).
func (a *Analyzer) CompilePattern(src string) (Pattern, error) {
	p := Pattern{Src: src}
	gap := false
	for _, part := range strings.Fields(src) {
		if part == "*" {
			if len(p.slots) == 0 {
				return p, fmt.Errorf("pattern %q starts with *", src)
			}
			gap = true
			continue
		}
		var sl slot
		sl.gap = gap
		gap = false
		for _, alt := range strings.Split(part, "|") {
			if alt == "" {
				continue
			}
			if alt == "#" {
				sl.number = true
				continue
			}
			if strings.HasPrefix(alt, "*") && len(alt) > 3 {
				sl.suffixes = append(sl.suffixes, Fold(strings.TrimPrefix(alt, "*")))
				continue
			}
			if strings.HasSuffix(alt, "*") && len(alt) > 1 {
				sl.prefixes = append(sl.prefixes, Fold(strings.TrimSuffix(alt, "*")))
				continue
			}
			toks := a.processWords(Normalize(alt).Words, false)
			if len(toks) == 0 {
				continue
			}
			// A multi-word expansion keeps its first word (patterns should
			// spell multi-word phrases as separate slots).
			sl.words = append(sl.words, toks[0].Stem)
		}
		if len(sl.words) == 0 && len(sl.prefixes) == 0 && len(sl.suffixes) == 0 && !sl.number {
			return p, fmt.Errorf("pattern %q: empty word %q", src, part)
		}
		p.slots = append(p.slots, sl)
	}
	if gap {
		return p, fmt.Errorf("pattern %q ends with *", src)
	}
	if len(p.slots) == 0 {
		return p, fmt.Errorf("empty pattern")
	}
	return p, nil
}

func (s *slot) match(t Token) bool {
	for _, w := range s.words {
		if t.Stem == w {
			return true
		}
	}
	for _, p := range s.prefixes {
		if strings.HasPrefix(t.Raw, p) || strings.HasPrefix(t.Stem, p) {
			return true
		}
	}
	// A suffix needs at least three letters before it ("sumatriptan",
	// "propranolol"), so short everyday words do not match.
	for _, x := range s.suffixes {
		if len(t.Raw) >= len(x)+3 && strings.HasSuffix(t.Raw, x) {
			return true
		}
	}
	return s.number && IsNumberish(t.Raw)
}

// Find returns the start of the first match of p in toks, or -1. With
// skipNegated, a match preceded by a negation in its clause is passed over.
// Slots is how many word slots the pattern has: a longer cue names a more
// specific question form.
func (p *Pattern) Slots() int { return len(p.slots) }

func (p *Pattern) Find(toks []Token, skipNegated bool) int {
	i, _ := p.Span(toks, skipNegated)
	return i
}

// Span is Find that also returns the end (exclusive) of the match; -1, -1
// when there is none.
func (p *Pattern) Span(toks []Token, skipNegated bool) (int, int) {
	return p.SpanFrom(toks, 0, skipNegated)
}

// SpanFrom is Span for matches starting at toks[from] or later.
func (p *Pattern) SpanFrom(toks []Token, from int, skipNegated bool) (int, int) {
	for i := max(from, 0); i < len(toks); i++ {
		if !p.slots[0].match(toks[i]) {
			continue
		}
		if end := p.matchFrom(toks, i, 1); end >= 0 && !(skipNegated && Negated(toks, i)) {
			return i, end
		}
	}
	return -1, -1
}

// matchFrom matches slots k... after toks[prev] and returns the end of the
// match, or -1.
func (p *Pattern) matchFrom(toks []Token, prev, k int) int {
	if k == len(p.slots) {
		return prev + 1
	}
	sl := &p.slots[k]
	skipped := 0 // content words skipped by "*"; stopwords are free
	for j := prev + 1; j < len(toks) && j <= prev+2*MaxGap+1; j++ {
		if toks[j].Clause != toks[prev].Clause {
			return -1
		}
		if sl.match(toks[j]) {
			if end := p.matchFrom(toks, j, k+1); end >= 0 {
				return end
			}
		}
		if !sl.gap {
			return -1
		}
		if !stopwords[toks[j].Raw] {
			if skipped++; skipped >= MaxGap {
				return -1
			}
		}
	}
	return -1
}

// negations deny what follows; worries make it hypothetical ("i don't want
// a droopy face", "afraid of trouble swallowing").
var negations = set(`no not dont doesnt didnt havent hasnt hadnt isnt arent wasnt werent wont never
without nor neither none nothing ni sin nunca tampoco afraid scared worried worry fear nervous avoid prevent`)

// contrasts end a negation's reach ("no pain but my lips are swelling").
var contrasts = set(`but pero just only though although however except yet sino now ahora`)

// NegationWindow is how many words before a phrase a negation may be.
const NegationWindow = 4

// Negated reports whether the phrase starting at toks[i] is negated: a
// negation word up to NegationWindow words before it, in the same clause,
// with no contrast word in between. "not sure" is not a negation.
func Negated(toks []Token, i int) bool {
	for j := i - 1; j >= 0 && j >= i-NegationWindow; j-- {
		if toks[j].Clause != toks[i].Clause || contrasts[toks[j].Raw] {
			return false
		}
		if negations[toks[j].Raw] {
			if j+1 < len(toks) && (toks[j+1].Raw == "sure" || toks[j+1].Raw == "se") {
				continue
			}
			return true
		}
	}
	return false
}

// PatternIndex finds the patterns of a list that may match a message. A
// match needs every slot, so each pattern is filed under the words of one
// slot, the one whose words the fewest patterns share ("how * last" under
// "last"); a pattern whose every slot is a prefix, a suffix or "#" is
// always checked. Checking only candidates keeps the cost of a long
// pattern list proportional to the message, not to the list.
type PatternIndex struct {
	byStem map[string][]int32
	always []int32
}

// NewPatternIndex indexes ps.
func NewPatternIndex(ps []Pattern) *PatternIndex {
	x := &PatternIndex{byStem: map[string][]int32{}}
	uses := map[string]int{}
	for i := range ps {
		for _, sl := range ps[i].slots {
			for _, w := range sl.words {
				uses[w]++
			}
		}
	}
	for i := range ps {
		best, bestCost := -1, 0
		for k, sl := range ps[i].slots {
			if len(sl.prefixes) > 0 || len(sl.suffixes) > 0 || sl.number || len(sl.words) == 0 {
				continue
			}
			cost := 0
			for _, w := range sl.words {
				cost += uses[w]
			}
			if best < 0 || cost < bestCost {
				best, bestCost = k, cost
			}
		}
		if best < 0 {
			x.always = append(x.always, int32(i))
			continue
		}
		for _, w := range ps[i].slots[best].words {
			if l := x.byStem[w]; len(l) == 0 || l[len(l)-1] != int32(i) {
				x.byStem[w] = append(l, int32(i))
			}
		}
	}
	return x
}

// Candidates appends to dst, in ascending order and without repeats, the
// indexes of the patterns that may match toks.
func (x *PatternIndex) Candidates(toks []Token, dst []int32) []int32 {
	start := len(dst)
	dst = append(dst, x.always...)
	for _, t := range toks {
		if t.Stem != "" {
			dst = append(dst, x.byStem[t.Stem]...)
		}
	}
	c := dst[start:]
	slices.Sort(c)
	return dst[:start+len(slices.Compact(c))]
}
