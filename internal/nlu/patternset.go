package nlu

import "iter"

// PatternSet is an ordered list of patterns with an index from the words
// that can start a match to the patterns, so a message is tried only
// against the patterns whose first word it contains: the cost grows with
// the message and the patterns it could match, not with every pattern.
type PatternSet struct {
	ps []Pattern
	// byWord maps a first-slot stem to the patterns it can start;
	// byPrefix maps the first three letters of a first-slot prefix
	// ("swallow*") to theirs.
	byWord, byPrefix map[string][]int
	// scan are the patterns whose first slot cannot be indexed (a short
	// prefix, a suffix, a number): tried on every message.
	scan []int
}

// prefixKey is how many letters of a prefix the index keys on.
const prefixKey = 3

// NewPatternSet indexes ps, keeping their order.
func NewPatternSet(ps []Pattern) *PatternSet {
	s := &PatternSet{ps: ps, byWord: map[string][]int{}, byPrefix: map[string][]int{}}
	for i := range ps {
		sl := &ps[i].slots[0]
		if len(sl.suffixes) > 0 || sl.number || len(sl.ranges) > 0 {
			s.scan = append(s.scan, i)
			continue
		}
		short := false
		for _, p := range sl.prefixes {
			if len(p) < prefixKey {
				short = true
			}
		}
		if short {
			s.scan = append(s.scan, i)
			continue
		}
		for _, w := range sl.words {
			s.byWord[w] = appendOnce(s.byWord[w], i)
		}
		for _, p := range sl.prefixes {
			s.byPrefix[p[:prefixKey]] = appendOnce(s.byPrefix[p[:prefixKey]], i)
		}
	}
	return s
}

func appendOnce(l []int, i int) []int {
	if n := len(l); n > 0 && l[n-1] == i {
		return l
	}
	return append(l, i)
}

// Len is the number of patterns.
func (s *PatternSet) Len() int { return len(s.ps) }

// Candidates yields, in their order, the patterns whose first slot some
// token of toks could match (and every pattern the index cannot rule
// out). A pattern not yielded cannot match toks.
func (s *PatternSet) Candidates(toks []Token) iter.Seq2[int, *Pattern] {
	return func(yield func(int, *Pattern) bool) {
		if s == nil || len(s.ps) == 0 {
			return
		}
		var small [512]bool
		marks := small[:0]
		if len(s.ps) <= len(small) {
			marks = small[:len(s.ps)]
		} else {
			marks = make([]bool, len(s.ps))
		}
		for _, i := range s.scan {
			marks[i] = true
		}
		for _, t := range toks {
			for _, i := range s.byWord[t.Stem] {
				marks[i] = true
			}
			for _, w := range [2]string{t.Raw, t.Stem} {
				if len(w) >= prefixKey {
					for _, i := range s.byPrefix[w[:prefixKey]] {
						marks[i] = true
					}
				}
			}
		}
		for i, ok := range marks {
			if ok && !yield(i, &s.ps[i]) {
				return
			}
		}
	}
}
