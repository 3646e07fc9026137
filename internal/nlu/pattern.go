package nlu

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Pattern is a trigger phrase: words in order, each slot a set of
// alternatives ("trouble|hard|cant"), "*" allowing up to MaxGap content
// words (and a few stopwords) in between, and "word*" matching any word that starts with "word". A match
// never crosses a clause boundary. "*word" matches any word ending in
// "word" (at least three letters before it: drug families like "*triptan"),
// "#" any word with a digit ("14", "10am") and "#lo-hi" a number in that
// range ("#99.5-108": 101, 102.4, 102f).
//
// "A & B" is a conjunction: each part is a pattern of its own, and all of
// them must match, in any order, inside one sentence and within
// ConjWindow words ("swallow* & hard|stuck|off" matches "swallowing feels
// off" and "hard to swallow"). A conjunction names a family of symptoms
// or requests by its words rather than by one word order.
type Pattern struct {
	Src   string
	slots []slot
	// and holds the other parts of a conjunction (slots is the first).
	and [][]slot
}

// ConjWindow is the most words a conjunction's match may span.
const ConjWindow = 10

type slot struct {
	words    []string     // stemmed alternatives
	prefixes []string     // folded prefixes ("suicid*")
	suffixes []string     // folded suffixes ("*triptan"): drug families
	number   bool         // "#": any word with a digit ("14", "10am")
	ranges   [][2]float64 // "#lo-hi": a number in [lo, hi]
	gap      bool         // up to MaxGap words may come before this slot
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
	for k, part := range strings.Split(src, "&") {
		slots, err := a.compileSlots(src, part)
		if err != nil {
			return p, err
		}
		if k == 0 {
			p.slots = slots
		} else {
			p.and = append(p.and, slots)
		}
	}
	return p, nil
}

// compileSlots compiles one part of a pattern (src is the whole pattern,
// for errors).
func (a *Analyzer) compileSlots(src, part string) ([]slot, error) {
	var slots []slot
	gap := false
	for _, part := range strings.Fields(part) {
		if part == "*" {
			if len(slots) == 0 {
				return nil, fmt.Errorf("pattern %q: a part starts with *", src)
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
			if r, ok := numberRange(alt); ok {
				sl.ranges = append(sl.ranges, r)
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
			t := toks[0]
			if t.Stem != t.Raw && stopwords[t.Stem] && !stopwords[t.Raw] {
				// Its stem is another, function word ("noted" → "not",
				// "evening" → "even", "wellness" → "well"): the word and
				// its inflections match, the function word does not.
				sl.prefixes = append(sl.prefixes, t.Raw)
				continue
			}
			sl.words = append(sl.words, t.Stem)
		}
		if len(sl.words) == 0 && len(sl.prefixes) == 0 && len(sl.suffixes) == 0 && !sl.number && len(sl.ranges) == 0 {
			return nil, fmt.Errorf("pattern %q: empty word %q", src, part)
		}
		slots = append(slots, sl)
	}
	if gap {
		return nil, fmt.Errorf("pattern %q: a part ends with *", src)
	}
	if len(slots) == 0 {
		return nil, fmt.Errorf("pattern %q: empty part", src)
	}
	return slots, nil
}

// numberRange parses "#lo-hi" ("#99.5-108").
func numberRange(alt string) ([2]float64, bool) {
	lo, hi, ok := strings.Cut(strings.TrimPrefix(alt, "#"), "-")
	if !ok || !strings.HasPrefix(alt, "#") {
		return [2]float64{}, false
	}
	l, err1 := strconv.ParseFloat(lo, 64)
	h, err2 := strconv.ParseFloat(hi, 64)
	if err1 != nil || err2 != nil || l > h {
		return [2]float64{}, false
	}
	return [2]float64{l, h}, true
}

// Number returns the value of a word that is a number, optionally followed
// by a unit letter ("101", "38.5", "102f", "39c"); ok is false for anything
// else ("10am", "3rd").
func Number(w string) (float64, bool) {
	i := 0
	for i < len(w) && (w[i] >= '0' && w[i] <= '9' || w[i] == '.') {
		i++
	}
	if i == 0 {
		return 0, false
	}
	switch w[i:] {
	case "", "f", "c":
	default:
		return 0, false
	}
	v, err := strconv.ParseFloat(strings.TrimSuffix(w[:i], "."), 64)
	return v, err == nil
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
	if len(s.ranges) > 0 {
		if v, ok := Number(t.Raw); ok {
			for _, r := range s.ranges {
				if v >= r[0] && v <= r[1] {
					return true
				}
			}
		}
	}
	return s.number && IsNumberish(t.Raw)
}

// Find returns the start of the first match of p in toks, or -1. With
// skipNegated, a match preceded by a negation in its clause is passed over.
// Slots is how many word slots the pattern has: a longer cue names a more
// specific question form.
func (p *Pattern) Slots() int {
	n := len(p.slots)
	for _, sl := range p.and {
		n += len(sl)
	}
	return n
}

// Conjunction reports a pattern of several parts ("A & B").
func (p *Pattern) Conjunction() bool { return len(p.and) > 0 }

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
	if len(p.and) == 0 {
		return seqSpan(p.slots, toks, from, skipNegated)
	}
	// A conjunction: the earliest start at or after from whose parts all
	// match in one sentence within ConjWindow words. A negation counts
	// only before the whole match: in "no quiero recibir mensajes" the
	// "no" belongs to the match, in "no trouble swallowing" it denies it.
	best, bestEnd := -1, -1
	for i := seqSpanStart(p.slots, toks, 0, false); i >= 0; i = seqSpanStart(p.slots, toks, i+1, false) {
		_, e0 := seqSpan(p.slots, toks, i, false)
		s, end, ok := i, e0, true
		starts := []int{i}
		for _, part := range p.and {
			ps, pe := nearestSpan(part, toks, i, e0)
			if ps < 0 {
				ok = false
				break
			}
			s, end = min(s, ps), max(end, pe)
			starts = append(starts, ps)
		}
		if !ok || s < from || end-s > ConjWindow || best >= 0 && s >= best {
			continue
		}
		if skipNegated && slices.ContainsFunc(starts, func(k int) bool { return negatedBefore(toks, k, s) }) {
			continue
		}
		best, bestEnd = s, end
	}
	return best, bestEnd
}

// seqSpan finds the first match of one part at or after from.
func seqSpan(slots []slot, toks []Token, from int, skipNegated bool) (int, int) {
	for i := max(from, 0); i < len(toks); i++ {
		if !slots[0].match(toks[i]) {
			continue
		}
		if end := matchFrom(slots, toks, i, 1); end >= 0 && !(skipNegated && Negated(toks, i)) {
			return i, end
		}
	}
	return -1, -1
}

func seqSpanStart(slots []slot, toks []Token, from int, skipNegated bool) int {
	i, _ := seqSpan(slots, toks, from, skipNegated)
	return i
}

// nearestSpan finds the match of a part in the sentence of toks[s] that
// lies closest to toks[s:e], or -1, -1.
func nearestSpan(slots []slot, toks []Token, s, e int) (int, int) {
	sentence := toks[s].Sentence
	bs, be, dist := -1, -1, 0
	for i := seqSpanStart(slots, toks, 0, false); i >= 0; i = seqSpanStart(slots, toks, i+1, false) {
		if toks[i].Sentence != sentence {
			continue
		}
		_, end := seqSpan(slots, toks, i, false)
		d := max(end, e) - min(i, s)
		if bs < 0 || d < dist {
			bs, be, dist = i, end, d
		}
	}
	return bs, be
}

// matchFrom matches slots k... after toks[prev] and returns the end of the
// match, or -1.
func matchFrom(slots []slot, toks []Token, prev, k int) int {
	if k == len(slots) {
		return prev + 1
	}
	sl := &slots[k]
	skipped := 0 // content words skipped by "*"; stopwords are free
	for j := prev + 1; j < len(toks) && j <= prev+2*MaxGap+1; j++ {
		if toks[j].Clause != toks[prev].Clause {
			return -1
		}
		if sl.match(toks[j]) {
			if end := matchFrom(slots, toks, j, k+1); end >= 0 {
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

// IsNegation reports whether a normalised word denies what follows (or,
// like "afraid", makes it hypothetical).
func IsNegation(w string) bool { return negations[w] }

// IsContrast reports whether a normalised word turns the sentence ("but",
// "pero"): it ends a negation's reach.
func IsContrast(w string) bool { return contrasts[w] }

// contrasts end a negation's reach ("no pain but my lips are swelling").
var contrasts = set(`but pero just only though although however except yet sino now ahora`)

// openers start a new statement of the patient's own, so a negation before
// one does not reach past it: "no i have trouble breathing", "without
// warning my vision went blurry", "sin razon se me hincho la cara".
var openers = set(`i im ive my mi mis se`)

// NegationWindow is how many words before a phrase a negation may be.
const NegationWindow = 4

// Negated reports whether the phrase starting at toks[i] is negated: a
// negation word up to NegationWindow words before it, in the same clause,
// with no contrast word or opener in between. "not sure" is not a
// negation.
func Negated(toks []Token, i int) bool { return negatedBefore(toks, i, i) }

// negatedBefore is Negated counting only negation words before toks[limit].
func negatedBefore(toks []Token, i, limit int) bool {
	for j := i - 1; j >= 0 && j >= i-NegationWindow; j-- {
		if j >= limit {
			continue
		}
		if toks[j].Clause != toks[i].Clause || contrasts[toks[j].Raw] || openers[toks[j].Raw] {
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
	// word numbers the words of every slot. code holds each simple
	// pattern (one part, every slot a list of words) as its slots in a
	// row, each the count of its words (negated when "*" comes before the
	// slot) and their numbers: code[at[i]:at[i+1]], empty for the others.
	// Matching numbers in one short array is much cheaper than following
	// each pattern's slots and strings through memory.
	word map[string]int32
	code []int32
	at   []int32
}

// NewPatternIndex indexes ps.
func NewPatternIndex(ps []Pattern) *PatternIndex {
	x := &PatternIndex{byStem: map[string][]int32{}, word: map[string]int32{}}
	x.compile(ps)
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

// compile fills word, code and at.
func (x *PatternIndex) compile(ps []Pattern) {
	x.at = make([]int32, len(ps)+1)
	for i := range ps {
		x.at[i] = int32(len(x.code))
		if simple(&ps[i]) {
			for _, sl := range ps[i].slots {
				n := int32(len(sl.words))
				if sl.gap {
					n = -n
				}
				x.code = append(x.code, n)
				for _, w := range sl.words {
					id, ok := x.word[w]
					if !ok {
						id = int32(len(x.word))
						x.word[w] = id
					}
					x.code = append(x.code, id)
				}
			}
		}
	}
	x.at[len(ps)] = int32(len(x.code))
}

// simple reports a pattern of one part whose every slot is a list of words.
func simple(p *Pattern) bool {
	if len(p.and) > 0 {
		return false
	}
	for _, sl := range p.slots {
		if len(sl.words) == 0 || len(sl.prefixes) > 0 || len(sl.suffixes) > 0 || sl.number || len(sl.ranges) > 0 {
			return false
		}
	}
	return true
}

// Words appends to dst the number of each token's stem among the index's
// slot words (-1 for none), for SpanOf.
func (x *PatternIndex) Words(toks []Token, dst []int32) []int32 {
	for _, t := range toks {
		id, ok := x.word[t.Stem]
		if !ok {
			id = -1
		}
		dst = append(dst, id)
	}
	return dst
}

// SpanOf is ps[i].SpanFrom(toks, from, false), where ps are the patterns
// the index was built from and words is x.Words(toks).
func (x *PatternIndex) SpanOf(ps []Pattern, i int32, toks []Token, words []int32, from int) (int, int) {
	c := x.code[x.at[i]:x.at[i+1]]
	if len(c) == 0 {
		return ps[i].SpanFrom(toks, from, false)
	}
	// As seqSpan, on numbers.
	n := int(c[0])
	first, rest := c[1:1+n], 1+n
	for k := max(from, 0); k < len(toks); k++ {
		if !slices.Contains(first, words[k]) {
			continue
		}
		if end := codeFrom(c, rest, toks, words, k); end >= 0 {
			return k, end
		}
	}
	return -1, -1
}

// codeFrom is matchFrom on numbers: it matches the slots of code from pc
// on after toks[prev].
func codeFrom(code []int32, pc int, toks []Token, words []int32, prev int) int {
	if pc == len(code) {
		return prev + 1
	}
	n, gap := int(code[pc]), false
	if n < 0 {
		n, gap = -n, true
	}
	slotWords, next := code[pc+1:pc+1+n], pc+1+n
	skipped := 0 // content words skipped by "*"; stopwords are free
	for j := prev + 1; j < len(toks) && j <= prev+2*MaxGap+1; j++ {
		if toks[j].Clause != toks[prev].Clause {
			return -1
		}
		if slices.Contains(slotWords, words[j]) {
			if end := codeFrom(code, next, toks, words, j); end >= 0 {
				return end
			}
		}
		if !gap {
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
