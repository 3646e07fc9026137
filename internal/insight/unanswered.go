// Package insight turns stored decisions into what maintainers and the
// clinic read: which questions the FAQ could not answer, grouped by
// similarity with a suggestion for each group (Unanswered), and how the bot
// and staff are doing (Analytics). It reads only what the store returns and
// the FAQ set; the CLI (faqbot report) and the staff console show the same
// Report.
package insight

import (
	"math"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/flsps/faqbot/internal/faq"
	"github.com/flsps/faqbot/internal/nlu"
	"github.com/flsps/faqbot/internal/store"
)

// Tuned numbers of the unanswered report. They trade fewer, broader groups
// (lower) against more, tighter ones (higher); TestUnansweredGroups pins
// them on a seeded set.
const (
	// DefaultLowConfidence: an FAQ answer below this confidence counts as
	// unanswered (the bot answered, but barely).
	DefaultLowConfidence = 0.6
	// joinSimilarity is the TF-IDF cosine a message needs with a group's
	// centroid to join it.
	joinSimilarity = 0.3
	// nearSimilarity is the cosine a group needs with an FAQ entry for
	// "add an alternate to it" rather than "new entry".
	nearSimilarity = 0.3
	// maxExamples is how many distinct example messages a group shows.
	maxExamples = 3
)

// Suggestions for a group.
const (
	SuggestAlternate = "add-alternate" // the nearest entry may answer it: add the phrasing as an alternate
	SuggestNewEntry  = "new-entry"     // nothing close: a new entry, if the clinic's page answers it
)

// Group is a set of similar unanswered messages.
type Group struct {
	Count    int      `json:"count"`
	Terms    []string `json:"terms"`    // the group's main words, most weighty first (as patients spell them most often)
	Examples []string `json:"examples"` // distinct messages, digits and e-mail addresses masked
	Intents  []string `json:"intents"`  // what the bot decided: unknown, faq:<id> (low confidence)
	// Suggestion is SuggestAlternate (with Nearest, the entry's id, and
	// Similarity) or SuggestNewEntry.
	Suggestion string  `json:"suggestion"`
	Nearest    string  `json:"nearest,omitempty"`
	Similarity float64 `json:"similarity,omitempty"`
}

// Unanswered groups the decisions that were unknown, or answered from the
// FAQ with less than lowConfidence, by similarity: TF-IDF vectors over the
// stems of the nlu analyzer (the engine's normalisation, synonyms and
// stemming), greedily clustered by cosine to each group's centroid.
// Groups come biggest first; messages with no content words form one group
// of their own.
func Unanswered(ds []store.Decision, set *faq.Set, lowConfidence float64) []Group {
	an := nlu.NewAnalyzer(set.Synonyms)
	type msg struct {
		text, label string
		terms       []string
	}
	var msgs []msg
	spelled := map[string]map[string]int{} // stem -> the words patients wrote for it
	for _, d := range ds {
		label := d.Intent
		switch {
		case d.Intent == "unknown":
		case d.Intent == "faq" && d.Confidence < lowConfidence:
			label = "faq:" + d.FAQID
		default:
			continue
		}
		msgs = append(msgs, msg{text: d.Body, label: label, terms: an.Terms(d.Body)})
		for _, tok := range an.Analyze(d.Body).Tokens {
			if spelled[tok.Stem] == nil {
				spelled[tok.Stem] = map[string]int{}
			}
			spelled[tok.Stem][tok.Raw]++
		}
	}
	if len(msgs) == 0 {
		return nil
	}

	// Entry documents share the IDF with the messages, so words every
	// entry uses (botox) weigh little.
	// Each phrasing of an entry (question, alternate) is a document of its
	// own: a group is near an entry when it is near one way of asking it.
	type phrasing struct {
		id    string
		terms []string
		vec   vector
		norm  float64
	}
	var docs [][]string
	pool := map[string]int{} // in how many unanswered messages each term occurs
	for _, m := range msgs {
		docs = append(docs, m.terms)
		for t := range distinct(m.terms) {
			pool[t]++
		}
	}
	var phrasings []phrasing
	for _, e := range set.Entries {
		for _, s := range append(append([]string{e.Question}, e.Alternates...), append([]string{e.ES.Question}, e.ES.Alternates...)...) {
			if ts := an.Terms(s); len(ts) > 0 {
				phrasings = append(phrasings, phrasing{id: e.ID, terms: ts})
				docs = append(docs, ts)
			}
		}
	}
	idf := inverseFrequencies(docs)
	for i := range phrasings {
		phrasings[i].vec = tfidf(phrasings[i].terms, idf)
		phrasings[i].norm = phrasings[i].vec.norm()
	}

	type cluster struct {
		centroid vector
		norm     float64 // of centroid, kept current
		members  []int
	}
	var clusters []*cluster
	var empty []int
	for i, m := range msgs {
		full := tfidf(m.terms, idf)
		if len(full) == 0 {
			empty = append(empty, i)
			continue
		}
		// A word no other unanswered message uses cannot make two
		// messages alike; it would only dilute the ones that do.
		v := vector{}
		for t, x := range full {
			if pool[t] > 1 {
				v[t] = x
			}
		}
		var best *cluster
		bestSim := joinSimilarity
		if vn := v.norm(); vn > 0 { // else a message of its own
			for _, c := range clusters {
				if s := v.dot(c.centroid) / (vn * c.norm); s >= bestSim {
					best, bestSim = c, s
				}
			}
		}
		if len(v) == 0 {
			v = full
		}
		if best == nil {
			best = &cluster{centroid: vector{}}
			clusters = append(clusters, best)
		}
		best.members = append(best.members, i)
		best.centroid.add(v)
		best.norm = best.centroid.norm()
	}

	var out []Group
	build := func(members []int, centroid vector) Group {
		g := Group{Count: len(members), Suggestion: SuggestNewEntry}
		seen, intents := map[string]bool{}, map[string]bool{}
		for _, i := range members {
			intents[msgs[i].label] = true
			ex := Mask(msgs[i].text)
			key := strings.ToLower(ex)
			if len(g.Examples) < maxExamples && !seen[key] {
				seen[key] = true
				g.Examples = append(g.Examples, ex)
			}
		}
		for l := range intents {
			g.Intents = append(g.Intents, l)
		}
		sort.Strings(g.Intents)
		for _, t := range centroid.top(5) {
			g.Terms = append(g.Terms, surface(t, spelled[t]))
		}
		cn := centroid.norm()
		for _, p := range phrasings {
			if cn == 0 || p.norm == 0 {
				continue
			}
			if s := p.vec.dot(centroid) / (cn * p.norm); s >= nearSimilarity && s > g.Similarity {
				g.Suggestion, g.Nearest, g.Similarity = SuggestAlternate, p.id, math.Round(s*100)/100
			}
		}
		return g
	}
	for _, c := range clusters {
		out = append(out, build(c.members, c.centroid))
	}
	if len(empty) > 0 {
		out = append(out, build(empty, vector{}))
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	return out
}

// vector is a sparse term-weight vector.
type vector map[string]float64

func (v vector) add(w vector) {
	for t, x := range w {
		v[t] += x
	}
}

func (v vector) norm() float64 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}

// top is the n heaviest terms, ties by name.
func (v vector) top(n int) []string {
	ts := make([]string, 0, len(v))
	for t := range v {
		ts = append(ts, t)
	}
	sort.Slice(ts, func(i, j int) bool {
		if v[ts[i]] != v[ts[j]] {
			return v[ts[i]] > v[ts[j]]
		}
		return ts[i] < ts[j]
	})
	if len(ts) > n {
		ts = ts[:n]
	}
	return ts
}

// dot is the scalar product; v should be the smaller vector.
func (v vector) dot(w vector) float64 {
	var d float64
	for t, x := range v {
		d += x * w[t]
	}
	return d
}

// surface is the word most often written for a stem (the stem itself if
// none was seen), so reports say "insurance", not "insuranc".
func surface(stem string, seen map[string]int) string {
	best, n := stem, 0
	for w, k := range seen {
		if k > n || k == n && w < best {
			best, n = w, k
		}
	}
	return best
}

func distinct(ts []string) map[string]bool {
	m := make(map[string]bool, len(ts))
	for _, t := range ts {
		m[t] = true
	}
	return m
}

func inverseFrequencies(docs [][]string) map[string]float64 {
	df := map[string]int{}
	for _, d := range docs {
		seen := map[string]bool{}
		for _, t := range d {
			if !seen[t] {
				seen[t] = true
				df[t]++
			}
		}
	}
	idf := make(map[string]float64, len(df))
	n := float64(len(docs))
	for t, k := range df {
		idf[t] = math.Log(1 + n/float64(k)) // smoothed: never zero
	}
	return idf
}

func tfidf(terms []string, idf map[string]float64) vector {
	v := vector{}
	for _, t := range terms {
		if nlu.IsNumberish(t) {
			continue // numbers are masked in examples; they must not group either
		}
		v[t] += idf[t]
	}
	return v
}

var emailRE = regexp.MustCompile(`[^\s@]+@[^\s@]+\.[^\s@]+`)

// Mask hides what may identify a patient in a message shown in a report:
// every digit becomes # and e-mail addresses become [email]. It also
// shortens the text to 200 characters.
func Mask(s string) string {
	s = emailRE.ReplaceAllString(s, "[email]")
	s = strings.Map(func(r rune) rune {
		if unicode.IsDigit(r) {
			return '#'
		}
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}
