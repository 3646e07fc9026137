package nlu

import "strings"

// Speller corrects a misspelt word to a vocabulary word at edit distance
// one (insert, delete, substitute, swap), or two for long words. It uses a
// deletion index (symmetric delete): a lookup costs a few map probes, not a
// scan of the vocabulary.
type Speller struct {
	known   map[string]int      // word → weight (how often it occurs)
	keep    map[string]bool     // words left as typed, never proposed
	deletes map[string][]string // deletion variant → vocabulary words
	sounds  map[string][]string // Sound key → vocabulary words
}

// NewSpeller builds a speller over vocabulary words and their weights.
// Words shorter than four letters are known but never proposed; keep lists
// more words that are left as typed (stopwords and everyday words always are).
func NewSpeller(vocab map[string]int, keep map[string]bool) *Speller {
	s := &Speller{known: vocab, keep: keep, deletes: map[string][]string{}, sounds: map[string][]string{}}
	for w := range vocab {
		if len(w) >= 3 && !isNumber(w) && !stopwords[w] {
			k := Sound(w)
			s.sounds[k] = append(s.sounds[k], w)
		}
		if len(w) < 4 || len(w) > maxWordLen || isNumber(w) {
			continue
		}
		for _, d := range deletes1(w) {
			s.deletes[d] = append(s.deletes[d], w)
		}
		if len(w) >= 9 {
			for _, d1 := range deletes1(w) {
				for _, d2 := range deletes1(d1) {
					s.deletes[d2] = append(s.deletes[d2], w)
				}
			}
		}
	}
	return s
}

// maxWordLen bounds the words the speller looks at (no real word is longer;
// a long one would make the distance-2 lookup expensive).
const maxWordLen = 24

// Known reports whether w is in the vocabulary.
func (s *Speller) Known(w string) bool {
	_, ok := s.known[w]
	return ok
}

// Correct returns the best vocabulary word for w, and whether it changed.
// Known words, short words and numbers are returned as they are.
func (s *Speller) Correct(w string) (string, bool) {
	if s != nil && len(w) == 3 && !hasVowel(w) && !s.keep[w] && !stopwords[w] {
		// "tmg": three consonants spell an initialism by ear.
		if c, ok := s.soundsLike(w); ok && len(c) == 3 {
			return c, true
		}
	}
	// A three-letter word qualifies only when it opens with two consonants
	// ("jwa"), which no English or Spanish word does ("won" stays "won").
	short := len(w) == 4 || len(w) == 3 && !hasVowel(w[:2])
	if s != nil && short && !stopwords[w] && !common[w] && !s.keep[w] {
		if _, ok := s.known[w]; !ok {
			// Two letters swapped in a short word ("lsat", "hrut", "jwa"):
			// a typing slip that keeps every letter, so it is safe to undo
			// where another single edit is not.
			if c, ok := s.swapped(w); ok {
				return c, true
			}
		}
	}
	if s == nil || len(w) < 4 || len(w) > maxWordLen || isNumber(w) || stopwords[w] || common[w] || s.keep[w] {
		return w, false
	}
	if _, ok := s.known[w]; ok {
		return w, false
	}
	maxDist := 1
	if len(w) >= 9 {
		maxDist = 2
	}
	best, bestD, bestW := "", 99, -1
	consider := func(c string) {
		if c == best {
			return
		}
		// A content word is never "corrected" into a stopword: "cold"
		// is not "could", and the word the question turns on would vanish.
		if stopwords[c] {
			return
		}
		// A four-letter word may only gain a letter ("botx" → "botox").
		if len(w) == 4 && len(c) != 5 {
			return
		}
		d := damerau(w, c, maxDist)
		if d > maxDist {
			return
		}
		// First letters are rarely mistyped: a short word or a second edit
		// must keep it ("hinchados" is not "pinchazos").
		if c[0] != w[0] && (d == 2 || len(w) <= 5) {
			return
		}
		if d < bestD || d == bestD && (s.known[c] > bestW || s.known[c] == bestW && c < best) {
			best, bestD, bestW = c, d, s.known[c]
		}
	}
	for _, c := range s.deletes[w] {
		consider(c)
	}
	if _, ok := s.known[w]; !ok {
		for _, d := range deletes1(w) {
			if _, ok := s.known[d]; ok && len(d) >= 4 {
				consider(d)
			}
			for _, c := range s.deletes[d] {
				consider(c)
			}
			if maxDist == 2 {
				for _, d2 := range deletes1(d) {
					for _, c := range s.deletes[d2] {
						consider(c)
					}
				}
			}
		}
	}
	if best == "" {
		return w, false
	}
	return best, true
}

// soundsLike returns the most frequent vocabulary word with w's Sound
// key, the same first letter, a length within two of w's and at most
// soundMaxEdits edits away (two for a word of five letters or fewer). It
// corrects only initialisms: longer words spelt by ear are left to the
// learned matcher's Sound features, because "mandarme" sounds like
// "matarme" and "sweating" like "sitting".
func (s *Speller) soundsLike(w string) (string, bool) {
	best, bestW := "", -1
	maxD := soundMaxEdits
	if len(w) <= 5 {
		maxD = 2
	}
	for _, c := range s.sounds[Sound(w)] {
		if c[0] != w[0] || len(c)-len(w) > 2 || len(w)-len(c) > 2 || damerau(w, c, maxD) > maxD {
			continue
		}
		if s.known[c] > bestW || s.known[c] == bestW && c < best {
			best, bestW = c, s.known[c]
		}
	}
	return best, best != ""
}

// soundMaxEdits bounds how far a word spelt by ear may be from the word it
// sounds like ("botocks" → "botox" is three edits).
const soundMaxEdits = 3

// swapped returns the vocabulary word (not a stopword) that w becomes
// when two adjacent letters trade places; the most frequent when several.
func (s *Speller) swapped(w string) (string, bool) {
	best, bestW := "", -1
	b := []byte(w)
	for i := 0; i+1 < len(b); i++ {
		if b[i] == b[i+1] {
			continue
		}
		b[i], b[i+1] = b[i+1], b[i]
		c := string(b)
		b[i], b[i+1] = b[i+1], b[i]
		if n, ok := s.known[c]; ok && !stopwords[c] && (n > bestW || n == bestW && c < best) {
			best, bestW = c, n
		}
	}
	return best, best != ""
}

func hasVowel(w string) bool {
	return strings.ContainsAny(w, "aeiouy")
}

// Sound is a crude phonetic key of a folded word, English and Spanish
// alike: the first letter, then the consonants by the sound they usually
// make (c/k/q → K, x → KS, g/j → J, d/t → T, b/p → P, f/v/ph → F, s/z →
// S, m/n → M), vowels, h, w and y dropped, repeats collapsed. "botocks"
// and "botox" are both BTKS; "saif" and "safe" SF.
func Sound(w string) string {
	var out [32]byte
	n := 0
	put := func(c byte) {
		if n < len(out) && (n == 0 || out[n-1] != c) {
			out[n] = c
			n++
		}
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		if i == 0 {
			switch c {
			case 'a', 'e', 'i', 'o', 'u':
				put('A')
				continue
			case 'h', 'w', 'y':
				put(c - 'a' + 'A')
				continue
			}
		}
		switch c {
		case 'b', 'p':
			if c == 'p' && i+1 < len(w) && w[i+1] == 'h' {
				put('F')
				i++
				continue
			}
			put('P')
		case 'c', 'k', 'q':
			put('K')
		case 'x':
			put('K')
			put('S')
		case 'g', 'j':
			put('J')
		case 'd', 't':
			put('T')
		case 'f', 'v':
			put('F')
		case 's', 'z':
			put('S')
		case 'm', 'n':
			put('M')
		case 'l', 'r':
			put(c - 'a' + 'A')
		default:
			if c >= '0' && c <= '9' {
				put(c)
			}
		}
	}
	return string(out[:n])
}

func deletes1(w string) []string {
	r := []rune(w)
	out := make([]string, 0, len(r))
	for i := range r {
		out = append(out, string(r[:i])+string(r[i+1:]))
	}
	return out
}

// damerau is the optimal-string-alignment distance, giving up above max.
func damerau(a, b string, max int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > max || -d > max {
		return max + 1
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > max {
			return max + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
