package nlu

import (
	"math"
	"math/bits"
	"sort"
	"sync"
)

// Index is a BM25 inverted index over short documents (a question, an
// alternate, an intent example), each belonging to a label (an FAQ id or an
// intent). A search touches only the postings of the query's terms, so its
// cost grows with how common those terms are, not with the FAQ size.
//
// Term weights (IDF) are computed over labels rather than documents: a word
// that appears in every phrasing of one entry is a strong signal for it,
// and a word that appears under many entries ("botox") is a weak one.
type Index struct {
	labels   []string
	docLabel []int32
	docLen   []float32
	docTerms [][]int32 // sorted, distinct
	terms    map[string]int32
	postings [][]int32
	// postW holds, beside each posting, the BM25 weight of its term in
	// that document (the same float32 a search would compute), so a
	// search adds instead of dividing.
	postW  [][]float32
	idf    []float64
	maxIDF float64
	avgLen float64
	pool   sync.Pool
	// labelTerms holds, for each label, the terms of any of its documents.
	labelID    map[string]int32
	labelTerms []map[int32]bool
}

// K1 and B are the BM25 parameters; short documents want little length
// normalisation.
const (
	bm25K1 = 1.2
	bm25B  = 0.5
)

// IndexBuilder collects documents.
type IndexBuilder struct {
	labels  []string
	labelID map[string]int32
	docs    [][]string
	docLbl  []int32
}

// NewIndexBuilder starts an empty index.
func NewIndexBuilder() *IndexBuilder {
	return &IndexBuilder{labelID: map[string]int32{}}
}

// Add adds one document of terms under label. Empty documents are ignored.
func (b *IndexBuilder) Add(label string, terms []string) {
	if len(terms) == 0 {
		return
	}
	id, ok := b.labelID[label]
	if !ok {
		id = int32(len(b.labels))
		b.labels = append(b.labels, label)
		b.labelID[label] = id
	}
	b.docs = append(b.docs, terms)
	b.docLbl = append(b.docLbl, id)
}

// Build freezes the index.
func (b *IndexBuilder) Build() *Index {
	ix := &Index{labels: b.labels, docLabel: b.docLbl, terms: map[string]int32{}, labelID: map[string]int32{}}
	ix.labelTerms = make([]map[int32]bool, len(b.labels))
	for l, name := range b.labels {
		ix.labelID[name] = int32(l)
		ix.labelTerms[l] = map[int32]bool{}
	}
	labelsOf := map[int32]map[int32]bool{}
	total := 0
	for d, doc := range b.docs {
		seen := map[int32]bool{}
		var ids []int32
		for _, t := range doc {
			id, ok := ix.terms[t]
			if !ok {
				id = int32(len(ix.postings))
				ix.terms[t] = id
				ix.postings = append(ix.postings, nil)
			}
			if seen[id] {
				continue
			}
			seen[id] = true
			ids = append(ids, id)
			ix.labelTerms[b.docLbl[d]][id] = true
			ix.postings[id] = append(ix.postings[id], int32(d))
			if labelsOf[id] == nil {
				labelsOf[id] = map[int32]bool{}
			}
			labelsOf[id][b.docLbl[d]] = true
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		ix.docTerms = append(ix.docTerms, ids)
		ix.docLen = append(ix.docLen, float32(len(ids)))
		total += len(ids)
	}
	if len(b.docs) > 0 {
		ix.avgLen = float64(total) / float64(len(b.docs))
	}
	n := float64(len(b.labels))
	ix.idf = make([]float64, len(ix.postings))
	for id := range ix.postings {
		df := float64(len(labelsOf[int32(id)]))
		ix.idf[id] = math.Log(1 + (n-df+0.5)/(df+0.5))
		ix.maxIDF = math.Max(ix.maxIDF, ix.idf[id])
	}
	ix.postW = make([][]float32, len(ix.postings))
	for id, ps := range ix.postings {
		w := ix.idf[id] * (bm25K1 + 1)
		ix.postW[id] = make([]float32, len(ps))
		for k, d := range ps {
			norm := bm25K1 * (1 - bm25B + bm25B*float64(ix.docLen[d])/ix.avgLen)
			ix.postW[id][k] = float32(w / (1 + norm))
		}
	}
	ix.pool.New = func() any {
		return &scratch{doc: make([]float32, len(ix.docLabel)), seen: make([]uint64, (len(ix.docLabel)+63)/64), label: make([]float32, len(ix.labels)), labelDoc: make([]int32, len(ix.labels))}
	}
	return ix
}

type scratch struct {
	doc []float32
	// seen has the bit of each document a search scored: they are then
	// read in order, so the documents of one label come together.
	seen     []uint64
	label    []float32
	labelDoc []int32
	touchedL []int32
}

// keep records document d's score sc for label l when it is the label's
// best so far (or as good and earlier).
func (s *scratch) keep(l int32, sc float32, d int32) {
	if s.label[l] == 0 {
		s.touchedL = append(s.touchedL, l)
	}
	if sc > s.label[l] || sc == s.label[l] && d < s.labelDoc[l] {
		s.label[l], s.labelDoc[l] = sc, d
	}
}

// Has reports whether the index knows term.
func (ix *Index) Has(term string) bool { _, ok := ix.terms[term]; return ok }

// IDF is a term's weight (0 for unknown terms).
func (ix *Index) IDF(term string) float64 {
	if id, ok := ix.terms[term]; ok {
		return ix.idf[id]
	}
	return 0
}

// LabelHas reports whether any document of label contains term.
func (ix *Index) LabelHas(label, term string) bool {
	l, ok := ix.labelID[label]
	if !ok {
		return false
	}
	id, ok := ix.terms[term]
	return ok && ix.labelTerms[l][id]
}

// MaxIDF is the weight of the rarest term.
func (ix *Index) MaxIDF() float64 { return ix.maxIDF }

// Hit is the result of a search.
type Hit struct {
	Label  string
	Score  float64 // BM25 of the best document of the best label
	Second string  // runner-up label ("" if none)
	Score2 float64
	// Matched is the IDF mass of the query terms found in the best
	// document; DocMass is that document's total IDF mass.
	Matched, DocMass float64
	MatchedTerms     []string
}

// Search scores every label by its best document for the query terms.
// Repeated query terms count once. An empty Hit means nothing matched.
func (ix *Index) Search(q []string) Hit { return ix.SearchBoost(q, nil, 1) }

// LabelIndex is the number of label in the index (for SearchBoost), or -1
// when no document has it.
func (ix *Index) LabelIndex(label string) int32 {
	if l, ok := ix.labelID[label]; ok {
		return l
	}
	return -1
}

// SearchBoost is Search with the scores of labels (numbers from
// LabelIndex, each at most once) multiplied by factor (a question-type cue
// that names the entry it asks about). Score and Score2 are the boosted
// scores.
func (ix *Index) SearchBoost(q []string, labels []int32, factor float64) Hit {
	if len(ix.docLabel) == 0 {
		return Hit{}
	}
	s := ix.pool.Get().(*scratch)
	defer ix.pool.Put(s)
	var qids [16]int32
	ids := qids[:0]
	for _, t := range q {
		id, ok := ix.terms[t]
		if !ok {
			continue
		}
		dup := false
		for _, x := range ids {
			if x == id {
				dup = true
			}
		}
		if !dup {
			ids = append(ids, id)
		}
	}
	for _, id := range ids {
		ws := ix.postW[id]
		for k, d := range ix.postings[id] {
			s.seen[d>>6] |= 1 << (d & 63)
			s.doc[d] += ws[k]
		}
	}
	// A label scores its best document (the first of equals); the order
	// in which documents are read changes nothing. A label's documents
	// mostly follow each other: each run is settled before it is kept.
	runL, runBest, runDoc := int32(-1), float32(0), int32(0)
	for k, w := range s.seen {
		if w == 0 {
			continue
		}
		s.seen[k] = 0
		for ; w != 0; w &= w - 1 {
			d := int32(k<<6 + bits.TrailingZeros64(w))
			sc := s.doc[d]
			s.doc[d] = 0
			if l := ix.docLabel[d]; l != runL {
				if runL >= 0 {
					s.keep(runL, runBest, runDoc)
				}
				runL, runBest, runDoc = l, sc, d
			} else if sc > runBest {
				runBest, runDoc = sc, d
			}
		}
	}
	if runL >= 0 {
		s.keep(runL, runBest, runDoc)
	}
	for _, l := range labels {
		// A label no document of q touched scores 0 and stays 0.
		s.label[l] *= float32(factor)
	}
	var h Hit
	best, second := int32(-1), int32(-1)
	for _, l := range s.touchedL {
		switch {
		case best < 0 || s.label[l] > s.label[best] || s.label[l] == s.label[best] && l < best:
			second, best = best, l
		case second < 0 || s.label[l] > s.label[second] || s.label[l] == s.label[second] && l < second:
			second = l
		}
	}
	if best >= 0 {
		h.Label, h.Score = ix.labels[best], float64(s.label[best])
		d := s.labelDoc[best]
		for _, t := range ix.docTerms[d] {
			h.DocMass += ix.idf[t]
		}
		for _, id := range ids {
			if containsSorted(ix.docTerms[d], id) {
				h.Matched += ix.idf[id]
			}
		}
	}
	if second >= 0 {
		h.Second, h.Score2 = ix.labels[second], float64(s.label[second])
	}
	for _, l := range s.touchedL {
		s.label[l], s.labelDoc[l] = 0, 0
	}
	s.touchedL = s.touchedL[:0]
	return h
}

// LabelScore is the best document score of one label for q (used to lean
// on a conversation's last topic).
func (ix *Index) LabelScore(q []string, label string) float64 {
	best := 0.0
	for d, l := range ix.docLabel {
		if ix.labels[l] != label {
			continue
		}
		sc := 0.0
		for _, t := range q {
			id, ok := ix.terms[t]
			if ok && containsSorted(ix.docTerms[d], id) {
				norm := bm25K1 * (1 - bm25B + bm25B*float64(ix.docLen[d])/ix.avgLen)
				sc += ix.idf[id] * (bm25K1 + 1) / (1 + norm)
			}
		}
		best = math.Max(best, sc)
	}
	return best
}

func containsSorted(a []int32, x int32) bool {
	i := sort.Search(len(a), func(i int) bool { return a[i] >= x })
	return i < len(a) && a[i] == x
}
