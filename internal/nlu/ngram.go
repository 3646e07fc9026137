package nlu

import (
	"math"
	"strings"
)

// NgramClassifier labels a text by its nearest labelled example in
// character-trigram space (TF-IDF weights, cosine similarity). Trigrams of
// each word (with its boundaries) survive most misspellings ("stpo
// txting", "unsubscibe"), so a message lands near the examples it
// resembles even when no word of it is spelled as they are. It is built
// once from data and safe for concurrent use.
type NgramClassifier struct {
	labels   []string
	examples []string
	post     map[string][]posting // trigram → examples holding it
	idf      map[string]float64
	norms    []float64
}

type posting struct {
	ex int
	w  float64 // tf·idf of the trigram in the example
}

// NgramHit is the nearest example of a label.
type NgramHit struct {
	Label   string
	Example string
	Score   float64 // cosine similarity, 0..1
}

// NewNgramClassifier builds a classifier from texts and their labels
// (parallel slices).
func NewNgramClassifier(texts, labels []string) *NgramClassifier {
	c := &NgramClassifier{labels: labels, examples: texts, post: map[string][]posting{}, idf: map[string]float64{}}
	tfs := make([]map[string]float64, len(texts))
	df := map[string]int{}
	for i, t := range texts {
		tfs[i] = trigrams(t)
		for g := range tfs[i] {
			df[g]++
		}
	}
	n := float64(len(texts))
	for g, d := range df {
		c.idf[g] = math.Log(1 + n/float64(d))
	}
	c.norms = make([]float64, len(texts))
	for i, tf := range tfs {
		var sum float64
		for g, f := range tf {
			w := f * c.idf[g]
			c.post[g] = append(c.post[g], posting{i, w})
			sum += w * w
		}
		c.norms[i] = math.Sqrt(sum)
	}
	return c
}

// Nearest returns, per label, the example most similar to text.
func (c *NgramClassifier) Nearest(text string) map[string]NgramHit {
	q := trigrams(text)
	dots := map[int]float64{}
	var qn float64
	for g, f := range q {
		idf, ok := c.idf[g]
		if !ok {
			// A trigram no example has still counts in the message's norm.
			idf = math.Log(1 + float64(len(c.labels)))
		}
		w := f * idf
		qn += w * w
		for _, p := range c.post[g] {
			dots[p.ex] += w * p.w
		}
	}
	out := map[string]NgramHit{}
	if qn == 0 {
		return out
	}
	qn = math.Sqrt(qn)
	for ex, d := range dots {
		s := d / (qn * c.norms[ex])
		if h, ok := out[c.labels[ex]]; !ok || s > h.Score {
			out[c.labels[ex]] = NgramHit{Label: c.labels[ex], Example: c.examples[ex], Score: s}
		}
	}
	return out
}

// trigrams counts the character trigrams of text's words after
// normalisation and texting abbreviations, each word padded with its
// boundaries ("stop" → " st", "sto", "top", "op ").
func trigrams(text string) map[string]float64 {
	out := map[string]float64{}
	for _, w := range Normalize(text).Words {
		ws := []string{w.W}
		if e, ok := abbreviations[w.W]; ok {
			ws = strings.Fields(e)
		}
		for _, x := range ws {
			p := " " + x + " "
			for i := 0; i+3 <= len(p); i++ {
				out[p[i:i+3]]++
			}
		}
	}
	return out
}
