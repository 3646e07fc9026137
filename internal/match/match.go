// Package match is the FAQ matcher learned at load time: a TF-IDF model of
// every phrasing of every label (an FAQ entry's question, alternates and
// keywords in both languages, an intent's examples), over word stems, stem
// bigrams and character n-grams, scored by nearest neighbours and class
// centroids. It is pure Go, deterministic, needs no weights from anywhere
// and trains in one pass over the phrasings.
//
// Character n-grams (3 to 5 letters within a word) carry misspellings and
// phonetic spellings ("botocks" shares "<bo", "bot", "oto" with "botox");
// stems and bigrams carry word choice and order. A message's words the
// model has never seen still count in its length, so a message that is
// mostly about something else scores low everywhere: that is the
// out-of-scope signal.
//
// The model decides nothing: it scores. The caller (internal/bot) turns
// scores into answers with the thresholds in its gate.go.
package match

import (
	"math"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/flsps/faqbot/internal/nlu"
)

// Feature groups. Each group is normalised on its own and then weighted,
// so long words (many character n-grams) do not drown word choice.
const (
	groupWord = iota
	groupChar
	numGroups
)

// The model's tuned numbers. They are variables only so that TestCalibrate
// (internal/bot/calibrate_test.go, run with -args -calibrate) can sweep
// them; nothing else sets them. Evidence, CLINC150 val (3,000 in-scope,
// 100 out-of-scope), best in-scope accuracy with out-of-scope recall
// >= 0.60: word share 0.6 → 0.883, 0.7 → 0.894, 0.8 → 0.895; nearest
// phrasing share 0 → 0.894, 0.2 → 0.890, 0.5 → 0.878; refinement passes 0
// → top-1 0.866, 6 → 0.892, 10 → 0.903, 15 → 0.902; margin 0.2 → 0.894,
// 0.3 → 0.892. The clinic's files do not move with them (the gate decides
// there).
var (
	// GroupWeight is the share of a vector's squared length each feature
	// group gets. With the refinement below (TestCalibrate, best in-scope
	// with out-of-scope recall >= 0.60): word share 0.7 → 0.894 / 0.62,
	// 0.75 → 0.894 / 0.61, 0.8 → 0.896 / 0.64, 0.85 → 0.897 / 0.65 (faqbot
	// eval 0.890 / 0.68 either way), 0.9 → 0.893 / 0.62. The character
	// share carries misspellings, so it is not cut further for nothing.
	GroupWeight = [numGroups]float64{groupWord: 0.8, groupChar: 0.2}
	// MinIDFShare leaves out of a vector (but not of its length) the
	// features that nearly every label has ("<th", "what"), whose weight
	// is below this share of their group's highest: they cost time in
	// every label's posting list and decide nothing. CLINC150 val, load
	// CPU time of the 150 × 100 FAQ: 0 → in-scope 0.894 / out-of-scope
	// 0.64, ~2.0 s; 0.15 → 0.893 / 0.64, ~1.6 s; 0.3 → 0.886 / 0.66, ~1.3 s.
	MinIDFShare = float32(0.15)
	// NNShare is the weight of a label's nearest phrasing in its score;
	// the rest is its refined centroid's.
	NNShare = 0.0
	// IDFPow flattens the label-frequency weights (idf^IDFPow): a word
	// several entries share still says something. TestCalibrate on CLINC150
	// val (top-1; best in-scope with out-of-scope recall >= 0.60; load):
	// 1.5 → 0.889, 0.882 / 0.64; 1 → 0.902, 0.896 / 0.64, ~0.8 s; 0.7 →
	// 0.910, 0.904 / 0.64; 0.5 → 0.915, 0.908 / 0.62, ~0.9-1.05 s (more
	// features clear MinIDFShare; pruning as much as before, share 0.39,
	// gives back the gain: 0.906). With 0.5, faqbot eval in-scope /
	// out-of-scope and load by MinIDFShare: 0.15 → 0.903 / 0.64; 0.2 →
	// 0.899 / 0.62; 0.25 → 0.900 / 0.65; 0.3 → 0.899 / 0.59, each within
	// the machine's noise of the others in load time (0.86-1.0 s).
	IDFPow = 0.5
)

// Model is a trained matcher. It is read-only after Train and safe for
// concurrent use.
type Model struct {
	labels   []string
	docLabel []int32
	docText  []string
	feat     map[uint64]int32
	names    []string // feature id → readable form, for explanations
	group    []uint8
	content  []bool // the feature comes from a word that is not a stopword
	idf      []float32
	maxIDF   [numGroups]float32
	docPost  [][]posting // feature → documents that hold it
	cenPost  [][]posting // feature → label centroids that hold it
	pool     sync.Pool
}

type posting struct {
	id int32
	w  float32
}

// Doc is one training phrasing: its label and its analysed tokens.
type Doc struct {
	Label  string
	Text   string
	Tokens []nlu.Token
}

// Train builds a model from phrasings. Labels keep their first-seen order,
// which breaks ties.
func Train(docs []Doc) *Model {
	m := &Model{feat: map[uint64]int32{}}
	labelID := map[string]int32{}
	type rawDoc struct {
		label int32
		fs    []rawFeat
	}
	raws := make([]rawDoc, 0, len(docs))
	var labelsOf [][]int32 // feature → distinct labels (appended in doc order)
	for _, d := range docs {
		fs := extract(d.Tokens, nil)
		if len(fs) == 0 {
			continue
		}
		l, ok := labelID[d.Label]
		if !ok {
			l = int32(len(m.labels))
			labelID[d.Label] = l
			m.labels = append(m.labels, d.Label)
		}
		for i := range fs {
			id, ok := m.feat[fs[i].h]
			if !ok {
				id = int32(len(m.names))
				m.feat[fs[i].h] = id
				m.names = append(m.names, fs[i].name(d.Tokens))
				m.group = append(m.group, fs[i].g)
				m.content = append(m.content, fs[i].isContent(d.Tokens))
				labelsOf = append(labelsOf, nil)
			}
			fs[i].id = id
			if ls := labelsOf[id]; len(ls) == 0 || ls[len(ls)-1] != l {
				if !slices.Contains(ls, l) {
					labelsOf[id] = append(ls, l)
				}
			}
		}
		raws = append(raws, rawDoc{l, fs})
		m.docLabel = append(m.docLabel, l)
		m.docText = append(m.docText, d.Text)
	}
	// Weights are computed over labels, not phrasings: a feature that every
	// phrasing of one entry has is a strong sign of it, one that many
	// entries share a weaker one (flattened by IDFPow).
	n := float64(len(m.labels))
	m.idf = make([]float32, len(m.names))
	for id, ls := range labelsOf {
		m.idf[id] = float32(math.Pow(math.Log((n+1)/float64(len(ls))), IDFPow))
		g := m.group[id]
		m.maxIDF[g] = max(m.maxIDF[g], m.idf[id])
	}
	m.docPost = make([][]posting, len(m.names))
	m.cenPost = make([][]posting, len(m.names))
	vecs := make([][]weighted, len(raws))
	byLabel := make([][]int32, len(m.labels))
	for d, rd := range raws {
		vec := m.weigh(rd.fs)
		vecs[d] = vec
		byLabel[rd.label] = append(byLabel[rd.label], int32(d))
		for _, f := range vec {
			m.docPost[f.id] = append(m.docPost[f.id], posting{int32(d), f.w})
		}
	}
	// Each label's centroid is summed in a dense array over the features,
	// its phrasings in their order, and posted in feature order.
	sum := make([]float64, len(m.names))
	var ids []int32
	for l, docs := range byLabel {
		for _, d := range docs {
			for _, f := range vecs[d] {
				if sum[f.id] == 0 {
					ids = append(ids, f.id)
				}
				sum[f.id] += float64(f.w)
			}
		}
		var norm float64
		for _, id := range ids {
			norm += sum[id] * sum[id]
		}
		norm = math.Sqrt(norm)
		slices.Sort(ids) // deterministic posting order
		for _, id := range ids {
			m.cenPost[id] = append(m.cenPost[id], posting{int32(l), float32(sum[id] / norm)})
			sum[id] = 0
		}
		ids = ids[:0]
	}
	m.refine(vecs)
	m.pool.New = func() any {
		return &scratch{doc: make([]float32, len(m.docLabel)), best: make([]float32, len(m.labels)), bestDoc: make([]int32, len(m.labels)), cen: make([]float32, len(m.labels)), cont: make([]float32, len(m.labels))}
	}
	return m
}

// Refinement: passes of a margin perceptron over the phrasings move each
// label's centroid towards its phrasings that another label scores within
// RefMargin, and the other label's away, by RefRate/pass. A pass revisits
// only the phrasings the previous one left within RefKeep × RefMargin.
// TestCalibrate on CLINC150 val (top-1; best in-scope with out-of-scope
// recall >= 0.60; load): margin 0.2 rate 0.1 keep 3 → 0.900, 0.892/0.64,
// ~1.2 s; 0.25/0.2/2 → 0.900, 0.894/0.62, ~0.8 s; 0.3/0.2/1.5 → 0.898,
// 0.891/0.60, ~0.7 s; keep 1 → 0.883. A doubled rate lets a pass settle
// more phrasings, so fewer are revisited.
var (
	Epochs    = 10
	RefMargin = float32(0.25)
	RefRate   = float32(0.2)
	RefKeep   = float32(2)
)

// refine corrects the centroids on the training phrasings (see Epochs).
func (m *Model) refine(vecs [][]weighted) {
	// Scores are dense over the labels: scanning every label once per
	// phrasing costs less than tracking which ones a posting touched.
	score := make([]float32, len(m.labels))
	upd := func(f weighted, l int32, dw float32) {
		ps := m.cenPost[f.id]
		for i := range ps {
			if ps[i].id == l {
				ps[i].w += dw
				return
			}
		}
		m.cenPost[f.id] = append(ps, posting{l, dw})
	}
	// Each pass visits only the phrasings the previous pass corrected:
	// the others already stand clear of every other label.
	active := make([]int32, len(vecs))
	for d := range active {
		active[d] = int32(d)
	}
	for ep := 0; ep < Epochs && len(active) > 0; ep++ {
		rate := RefRate / float32(ep+1)
		next := active[:0]
		for _, d := range active {
			vec := vecs[d]
			gold := m.docLabel[d]
			for _, f := range vec {
				for _, p := range m.cenPost[f.id] {
					score[p.id] += f.w * p.w
				}
			}
			// The wrong label is the best-scoring other label that a
			// posting reached (a zero score may be a cancellation, as
			// before; an untouched label stays at exactly zero).
			wrong := int32(-1)
			for l, v := range score {
				if int32(l) != gold && v != 0 && (wrong < 0 || v > score[wrong]) {
					wrong = int32(l)
				}
			}
			if wrong >= 0 && score[gold]-score[wrong] < RefMargin*RefKeep {
				next = append(next, d)
			}
			if wrong >= 0 && score[gold]-score[wrong] < RefMargin {
				for _, f := range vec {
					upd(f, gold, rate*f.w)
					upd(f, wrong, -rate*f.w)
				}
			}
			clear(score)
		}
		active = next
	}
}

type rawFeat struct {
	h     uint64
	id    int32 // -1 when unknown to the model
	tf    float32
	g     uint8
	bi    bool  // a stem bigram (group word)
	sound bool  // a Sound key (group char)
	tok   int16 // the token it comes from
	char  uint8 // a character n-gram's start and length in its padded word
	n     uint8
}

// isContent reports a feature that a content word (not a stopword) takes
// part in: character n-grams and sound keys always do.
func (f rawFeat) isContent(toks []nlu.Token) bool {
	if f.g == groupChar {
		return true
	}
	if !nlu.IsStopword(toks[f.tok].Raw) {
		return true
	}
	return f.bi && !nlu.IsStopword(toks[int(f.tok)+1].Raw)
}

// name is a feature's readable form: "stem", "stem stem" or 'gram'.
func (f rawFeat) name(toks []nlu.Token) string {
	t := toks[f.tok]
	switch {
	case f.sound:
		return "~" + nlu.Sound(t.Raw)
	case f.g == groupChar:
		w := t.Raw
		if strings.IndexByte(w, ' ') >= 0 {
			w = t.Stem
		}
		p := "<" + w + ">"
		return "'" + p[f.char:int(f.char)+int(f.n)] + "'"
	case f.bi:
		return t.Stem + " " + toks[int(f.tok)+1].Stem
	}
	return t.Stem
}

type weighted struct {
	id int32
	w  float32
}

// weigh turns counted features into a vector: sublinear tf × idf, each
// group normalised to its share of unit length. Features the model does not
// know count in the length with their group's highest weight and are left
// out of the vector.
func (m *Model) weigh(fs []rawFeat) []weighted {
	var norm [numGroups]float64
	out := make([]weighted, 0, len(fs))
	for _, f := range fs {
		idf := m.maxIDF[f.g]
		if f.id >= 0 {
			idf = m.idf[f.id]
		}
		w := float64(1+float32(math.Log(float64(f.tf)))) * float64(idf)
		norm[f.g] += w * w
		if f.id >= 0 && w > 0 && idf >= MinIDFShare*m.maxIDF[f.g] {
			out = append(out, weighted{f.id, float32(w)})
		}
	}
	var scale [numGroups]float64
	for g := range norm {
		if norm[g] > 0 {
			scale[g] = math.Sqrt(GroupWeight[g] / norm[g])
		}
	}
	// A message with no character features (digits only) or no word
	// features keeps the weight of the group it has.
	if norm[groupWord] == 0 || norm[groupChar] == 0 {
		for g := range scale {
			if norm[g] > 0 {
				scale[g] = math.Sqrt(1 / norm[g])
			}
		}
	}
	for i := range out {
		out[i].w *= float32(scale[m.group[out[i].id]])
	}
	return out
}

// Result is a scored message.
type Result struct {
	// Label is the best label and Score its score: its refined
	// centroid's dot product with the message (and NNShare of its nearest
	// phrasing's cosine).
	Label  string
	Score  float64
	Second string
	Score2 float64
	// Neighbour is the phrasing of Label nearest to the message, NN its
	// cosine; Features are the shared features that weigh most.
	// Content is the part of the centroid's score that content words
	// give: a message that shares only "what is the" has none.
	Content   float64
	Neighbour string
	NN        float64
	Features  []string
	doc       int32 // the neighbour's index, -1 when none
}

type scratch struct {
	doc     []float32
	touched []int32
	best    []float32
	bestDoc []int32
	cen     []float32
	cont    []float32 // the part of cen that content features give
	labels  []int32
	fs      []rawFeat
}

// Score scores analysed tokens (tokens with an empty stem are hidden).
func (m *Model) Score(toks []nlu.Token) Result {
	if m == nil || len(m.labels) == 0 {
		return Result{}
	}
	s := m.pool.Get().(*scratch)
	defer m.pool.Put(s)
	s.fs = extract(toks, s.fs[:0])
	for i := range s.fs {
		if id, ok := m.feat[s.fs[i].h]; ok {
			s.fs[i].id = id
		} else {
			s.fs[i].id = -1
		}
	}
	vec := m.weigh(s.fs)
	for _, f := range vec {
		for _, p := range m.docPost[f.id] {
			if s.doc[p.id] == 0 {
				s.touched = append(s.touched, p.id)
			}
			s.doc[p.id] += f.w * p.w
		}
		for _, p := range m.cenPost[f.id] {
			if s.cen[p.id] == 0 && s.best[p.id] == 0 {
				s.labels = append(s.labels, p.id)
			}
			s.cen[p.id] += f.w * p.w
			if m.content[f.id] {
				s.cont[p.id] += f.w * p.w
			}
		}
	}
	for _, d := range s.touched {
		l := m.docLabel[d]
		if s.best[l] == 0 && s.cen[l] == 0 {
			s.labels = append(s.labels, l)
		}
		if v := s.doc[d]; v > s.best[l] || v == s.best[l] && d < s.bestDoc[l] {
			s.best[l], s.bestDoc[l] = v, d
		}
	}
	var r Result
	best, second := int32(-1), int32(-1)
	score := func(l int32) float64 { return NNShare*float64(s.best[l]) + (1-NNShare)*float64(s.cen[l]) }
	for _, l := range s.labels {
		switch {
		case best < 0 || score(l) > score(best) || score(l) == score(best) && l < best:
			second, best = best, l
		case second < 0 || score(l) > score(second) || score(l) == score(second) && l < second:
			second = l
		}
	}
	if best >= 0 {
		r.Label, r.Score = m.labels[best], score(best)
		r.Content = float64(s.cont[best])
		r.NN = float64(s.best[best])
		r.doc = -1
		if s.best[best] > 0 {
			r.Neighbour, r.doc = m.docText[s.bestDoc[best]], s.bestDoc[best]
		}
	}
	if second >= 0 {
		r.Second, r.Score2 = m.labels[second], score(second)
	}
	for _, d := range s.touched {
		s.doc[d] = 0
	}
	for _, l := range s.labels {
		s.best[l], s.bestDoc[l], s.cen[l], s.cont[l] = 0, 0, 0, 0
	}
	s.touched, s.labels = s.touched[:0], s.labels[:0]
	return r
}

// Explain adds to r the features the message shares with r's nearest
// phrasing, heaviest first (at most n).
func (m *Model) Explain(toks []nlu.Token, r *Result, n int) {
	if r.Neighbour == "" || r.doc < 0 || int(r.doc) >= len(m.docText) {
		return
	}
	d := int(r.doc)
	fs := extract(toks, nil)
	for i := range fs {
		fs[i].id = -1
		if id, ok := m.feat[fs[i].h]; ok {
			fs[i].id = id
		}
	}
	type fw struct {
		name string
		w    float32
	}
	var shared []fw
	for _, f := range m.weigh(fs) {
		for _, p := range m.docPost[f.id] {
			if p.id == int32(d) && m.group[f.id] == groupWord {
				shared = append(shared, fw{m.names[f.id], f.w * p.w})
			}
		}
	}
	sort.SliceStable(shared, func(i, j int) bool { return shared[i].w > shared[j].w })
	for i := 0; i < len(shared) && i < n; i++ {
		r.Features = append(r.Features, shared[i].name)
	}
}

// Labels is every label the model knows, in training order.
func (m *Model) Labels() []string { return m.labels }

// extract counts the features of tokens into out: each content token's
// stem, each pair of adjacent stems in a clause, and the 3- to 5-letter
// n-grams of each content word padded with word boundaries. Stopwords give
// their stem and bigrams but no n-grams.
func extract(toks []nlu.Token, out []rawFeat) []rawFeat {
	start := len(out)
	var buf [64]byte
	for i, t := range toks {
		if t.Stem == "" || i > 1<<15-2 {
			continue
		}
		out = append(out, rawFeat{h: hashStr(hashStr(fnvOffset, "w"), t.Stem), g: groupWord, tok: int16(i), tf: 1, id: -1})
		if i+1 < len(toks) && toks[i+1].Stem != "" && toks[i+1].Clause == t.Clause && toks[i+1].Stem != t.Stem {
			out = append(out, rawFeat{h: hashStr(hashStr(hashStr(hashStr(fnvOffset, "b"), t.Stem), " "), toks[i+1].Stem), g: groupWord, bi: true, tok: int16(i), tf: 1, id: -1})
		}
		if nlu.IsStopword(t.Raw) || i > 0 && toks[i-1].Raw == t.Raw {
			continue
		}
		w := t.Raw
		if strings.IndexByte(w, ' ') >= 0 {
			w = t.Stem
		}
		if len(w)+2 > len(buf) {
			continue
		}
		// How the word sounds: "botocks" and "botox", "saif" and "safe".
		if len(w) >= 4 {
			out = append(out, rawFeat{h: hashStr(hashStr(fnvOffset, "s"), nlu.Sound(w)), g: groupChar, sound: true, tok: int16(i), tf: 1, id: -1})
		}
		p := append(append(append(buf[:0], '<'), w...), '>')
		for n := 3; n <= 5; n++ {
			for k := 0; k+n <= len(p); k++ {
				out = append(out, rawFeat{h: hashBytes(hashStr(fnvOffset, "c"), p[k:k+n]), g: groupChar, tok: int16(i), char: uint8(k), n: uint8(n), tf: 1, id: -1})
			}
		}
	}
	// Count repeats: sort by hash and merge.
	fs := out[start:]
	slices.SortFunc(fs, func(x, y rawFeat) int {
		switch {
		case x.h < y.h:
			return -1
		case x.h > y.h:
			return 1
		}
		return 0
	})
	k := 0
	for i := range fs {
		if k > 0 && fs[k-1].h == fs[i].h {
			fs[k-1].tf++
			continue
		}
		fs[k] = fs[i]
		k++
	}
	return out[:start+k]
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func hashBytes(h uint64, s []byte) uint64 {
	for _, c := range s {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return h
}

func hashStr(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}
