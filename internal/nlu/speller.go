package nlu

// Speller corrects a misspelt word to a vocabulary word at edit distance
// one (insert, delete, substitute, swap), or two for long words. It uses a
// deletion index (symmetric delete): a lookup costs a few map probes, not a
// scan of the vocabulary.
type Speller struct {
	known   map[string]int      // word → weight (how often it occurs)
	keep    map[string]bool     // words left as typed, never proposed
	deletes map[string][]string // deletion variant → vocabulary words
}

// NewSpeller builds a speller over vocabulary words and their weights.
// Words shorter than four letters are known but never proposed; keep lists
// more words that are left as typed (stopwords and everyday words always are).
func NewSpeller(vocab map[string]int, keep map[string]bool) *Speller {
	s := &Speller{known: vocab, keep: keep, deletes: map[string][]string{}}
	for w := range vocab {
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
