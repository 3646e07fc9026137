package bot

// Stage 6, the hinted reading: BM25 over every phrasing, boosted by the
// entries' cues, and the confidence gate that asks for coverage, a margin
// over the runner-up and a cue or a topic. The re-readings of a message are
// in engine.go's Decide and focus; the learned matcher is in learned.go.

import (
	"math"
	"slices"
	"strings"

	"github.com/flsps/faqbot/internal/nlu"
)

// candidates are the FAQ entries of a grey-band search, best first: the
// winner with its confidence and the runner-up scaled by its share of the
// winner's score, when that is in the band too. None when the winner is an
// intent (a near-booking stays with staff).
func candidates(h nlu.Hit, conf float64) []Candidate {
	if h.Label == "" || strings.HasPrefix(h.Label, intentPrefix) || h.Score <= 0 {
		return nil
	}
	out := []Candidate{{FAQID: h.Label, Score: math.Round(conf*100) / 100}}
	if c2 := conf * h.Score2 / h.Score; h.Second != "" && !strings.HasPrefix(h.Second, intentPrefix) && c2 >= greyFloor {
		out = append(out, Candidate{FAQID: h.Second, Score: math.Round(c2*100) / 100})
	}
	return out
}

// searchScratch is what one search needs per call, kept in a pool: marks
// by entry number (with the entries marked, to clear them), the boosted
// entries, their index labels and the candidate cues.
type searchScratch struct {
	mark    []uint8
	marked  []int32
	boost   []int32
	labels  []int32
	matches []cueMatch
}

// cueMatch is where a cue first matches a message (s = -1: no match).
type cueMatch struct {
	cue, s, end int32
}

// cueReading is the cue matches of a whole message, so that its readings
// (the message with words hidden by mask) need not try every cue again.
// Hiding words only takes matches away (a hidden word matches no slot and
// counts as a skipped content word): a cue that does not match the whole
// message matches no reading of it, and one whose first match keeps all
// its words matches the reading at the same place. Only the others, and
// conjunctions (whose parts pair up anew), are tried again.
type cueReading struct {
	toks []nlu.Token
	m    []cueMatch // in cue order; conjunctions that did not match too, with s = -1
}

// readCues finds the cues that match toks, the whole message.
func (e *Engine) readCues(toks []nlu.Token) *cueReading {
	var buf [64]int32
	var wbuf [32]int32
	cands := e.cueIx.Candidates(toks, buf[:0])
	words := e.cueIx.Words(toks, wbuf[:0])
	r := &cueReading{toks: toks, m: make([]cueMatch, 0, len(cands))}
	for _, i := range cands {
		// Negation does not change what kind of question it is
		// ("no entiendo qué es el botox").
		s, end := e.cueIx.SpanOf(e.cues, i, toks, words, 0)
		if s >= 0 || e.cues[i].Conjunction() {
			r.m = append(r.m, cueMatch{i, int32(s), int32(end)})
		}
	}
	return r
}

// matches appends to dst the cue matches in toks, which are r's message
// or a reading of it (the same tokens with some hidden).
func (r *cueReading) matches(e *Engine, toks []nlu.Token, dst []cueMatch) []cueMatch {
	same := len(toks) > 0 && len(r.toks) > 0 && &toks[0] == &r.toks[0]
	var wbuf [32]int32
	var words []int32
	for _, m := range r.m {
		if m.s >= 0 && (same || slices.Equal(toks[m.s:m.end], r.toks[m.s:m.end])) {
			dst = append(dst, m)
			continue
		}
		// No match of the reading starts before the whole message's first
		// (a conjunction's parts pair up anew: from the start).
		from := int(m.s)
		if e.cues[m.cue].Conjunction() {
			from = 0
		} else if m.s < 0 {
			continue
		}
		if words == nil {
			words = e.cueIx.Words(toks, wbuf[:0])
		}
		if s, end := e.cueIx.SpanOf(e.cues, m.cue, toks, words, from); s >= 0 {
			dst = append(dst, cueMatch{m.cue, int32(s), int32(end)})
		}
	}
	return dst
}

// Marks of an entry in one search.
const (
	markBoost   = 1 << iota // a cue of the entry matches
	markSubject             // ... with the entry's own topic inside a match of two or more slots
	markNamed               // the message names one of the entry's topics
)

func (sc *searchScratch) set(n int32, m uint8) {
	if sc.mark[n] == 0 {
		sc.marked = append(sc.marked, n)
	}
	sc.mark[n] |= m
}

func (e *Engine) putScratch(sc *searchScratch) {
	for _, n := range sc.marked {
		sc.mark[n] = 0
	}
	sc.marked, sc.boost, sc.labels, sc.matches = sc.marked[:0], sc.boost[:0], sc.labels[:0], sc.matches[:0]
	e.scratch.Put(sc)
}

// search scores tokens (hidden ones have an empty stem) against the index,
// boosting the entries whose question-type cue they match.
func (e *Engine) search(toks []nlu.Token, cr *cueReading) (nlu.Hit, float64) {
	ts := terms(toks)
	sc := e.scratch.Get().(*searchScratch)
	defer e.putScratch(sc)
	// Per cued entry: whether a cue of two or more slots has the entry's
	// own topic inside its match ("how does it help the pain": the subject
	// of the question).
	subjects := 0
	sc.matches = cr.matches(e, toks, sc.matches[:0])
	for _, m := range sc.matches {
		i, s, end := m.cue, m.s, m.end
		n := e.cueEntry[i]
		if sc.mark[n]&markBoost == 0 {
			sc.set(n, markBoost)
			sc.boost = append(sc.boost, n)
		}
		if e.cueSlots[i] >= 2 && e.entryTopics[n] && sc.mark[n]&markSubject == 0 {
			for _, t := range toks[s:end] {
				if slices.Contains(e.topicNum[t.Stem], n) {
					sc.set(n, markSubject)
					subjects++
					break
				}
			}
		}
	}
	boosted := len(sc.boost)
	if boosted > 1 && subjects > 0 {
		// Several kinds of question match: the subject decides ("how does
		// botox take the pain away" asks about pain, not what botox is).
		for _, n := range sc.boost {
			if sc.mark[n]&markSubject == 0 {
				sc.mark[n] &^= markBoost
				boosted--
			}
		}
	}
	// A topic entry's cue ("for this condition") does not count when the
	// message names another entry's topic and not its own: "temporomandibular
	// disorder, do you treat this condition?" asks about tmj.
	if boosted > 0 {
		named := false
		for _, t := range ts {
			for _, n := range e.topicNum[t] {
				sc.set(n, markNamed)
				named = true
			}
		}
		if named {
			for _, n := range sc.boost {
				if sc.mark[n]&markBoost != 0 && e.entryTopics[n] && sc.mark[n]&markNamed == 0 {
					sc.mark[n] &^= markBoost
				}
			}
		}
	}
	for _, n := range sc.boost {
		if sc.mark[n]&markBoost != 0 && e.entryLabel[n] >= 0 {
			sc.labels = append(sc.labels, e.entryLabel[n])
		}
	}
	h := e.ix.SearchBoost(ts, sc.labels, cueBoost)
	n, ok := e.entryNum[h.Label]
	cued := ok && sc.mark[n]&markBoost != 0
	// A topic entry won on words alone while the message names exactly
	// one other topic entry's subject: that entry answers (uncued).
	if !cued && e.hasTopics[h.Label] && !e.topical(ts, h.Label) {
		var only string
		n := 0
		for _, t := range ts {
			for _, id := range e.topic[t] {
				if id != only {
					only, n = id, n+1
				}
			}
		}
		if n == 1 && e.hasTopics[only] {
			var one [1]int32
			labels := one[:0]
			if l := e.ix.LabelIndex(only); l >= 0 {
				labels = append(labels, l)
			}
			if h2 := e.ix.SearchBoost(ts, labels, cueBoost); h2.Label == only {
				h = h2
			}
		}
	}
	conf := e.confidence(ts, h, cued)
	if cued || strings.HasPrefix(h.Label, intentPrefix) {
		return h, conf
	}
	q, _ := e.coverage(ts, h, false)
	switch {
	case e.topical(ts, h.Label):
		// A topic without a cue answers "does botox help <topic>",
		// "<topic>?", "what about <topic>": every other content word of the
		// message is one of the entry's own words or an everyday word.
		// "whats the best migraine medication", "is ashley bilingual" name
		// the subject but ask something the entry does not answer.
		if topicAsksOther(toks) || !helpForm(toks) && e.unexplained(ts, h.Label) {
			conf *= uncuedFactor
		}
	case q < fullCover || !e.substantive(ts, h.Label):
		// The cue gate: an entry answers a kind of question (its cues) or
		// a subject (its topics). A message that names neither and is not
		// almost wholly one of the entry's phrasings shares words with the
		// entry but asks something else ("can i get botox if i have a
		// cold"): its confidence is scaled down below the bar. Sharing only
		// everyday words ("see you tomorrow") is no phrasing either.
		conf *= uncuedFactor
	}
	// Without a cue the match is never a sure one.
	conf = math.Min(conf, uncuedCap)
	return h, conf
}

// cuedFor reports a message (cr's or a reading of it) matching one of the
// entry's cues.
func (e *Engine) cuedFor(toks []nlu.Token, cr *cueReading, id string) bool {
	sc := e.scratch.Get().(*searchScratch)
	defer e.putScratch(sc)
	sc.matches = cr.matches(e, toks, sc.matches[:0])
	for _, m := range sc.matches {
		if e.cueOwner[m.cue] == id {
			return true
		}
	}
	return false
}

// unexplained reports a content word of the message that the entry's
// phrasings do not have and that is not an everyday word (or is an
// evaluative one: "best", "worse" ask for a comparison the entry does not
// make).
func (e *Engine) unexplained(ts []string, id string) bool {
	for _, t := range ts {
		if e.ix.LabelHas(id, t) || nlu.IsNumberish(t) || nlu.IsCommon(t) && !evaluative[t] || slices.Contains(e.topic[t], id) {
			continue
		}
		return true
	}
	return false
}

// helpWords ask whether a treatment helps or is offered for a subject.
var helpWords = wordSet(`help helps helped helping work works worked working worth treat treats treated treating treatment treatments
fix fixes prevent relieve relax stop option options offer offers offered available get use provide provides
ayuda ayudan ayudar ayude sirve sirven servir funciona funcionan trata tratan tratamiento hacen ofrecen
legit relief effective results alivio efectivo`)

// helpForm reports the question "does it help / do you offer it for
// <topic>": a help word, or "botox|it for <something>".
func helpForm(toks []nlu.Token) bool {
	for i, t := range toks {
		if helpWords[t.Raw] || helpWords[t.Stem] {
			return true
		}
		// "the same way as", not "the same day as" (scheduling).
		if compare[t.Raw] && !(i+1 < len(toks) && sameWhen[toks[i+1].Raw]) {
			return true
		}
		if (t.Raw == "do" || t.Raw == "inject" || t.Raw == "injections") && i > 0 && (doers[toks[i-1].Raw] || toks[i-1].Stem == "botox" || toks[i-1].Raw == "it") {
			return true // "do you guys do it for", "can u do botox"
		}
		if (t.Raw == "for" || t.Raw == "para" || t.Raw == "pa") && i > 0 && (toks[i-1].Stem == "botox" || forWhat[toks[i-1].Raw]) {
			return true
		}
	}
	return false
}

var sameWhen = wordSet(`day days time visit appointment appt dia vez cita`)

var doers = wordSet(`you u guys they ya yall flsps clinic office practice ashley`)

// forWhat before "for" ask what a treatment is for ("is that for cosmetic
// botox", "botox for my jaw").
var forWhat = wordSet(`it that this injections injection shots shot one ones`)

// compare words ask how two uses of botox differ, which the topic entries
// (cosmetic, pain relief) answer.
var compare = wordSet(`same different difference instead vs versus`)

// otherHow follow "how" in questions of another type (duration, cost).
var otherHow = wordSet(`long much many often soon far`)

// topicAsksOther reports a message that, though it names a topic, ranks
// ("whats the best migraine medication", "worse") or asks how long, how
// much or how often ("how long until the migraine botox works").
func topicAsksOther(toks []nlu.Token) bool {
	last := toks[len(toks)-1].Sentence
	short := 0
	for _, t := range toks {
		if t.Sentence == last {
			short++
		}
	}
	for i, t := range toks {
		// "Best, Sam" / "Best regards" signs off, it does not rank.
		if evaluative[t.Raw] && !(last > 0 && t.Sentence == last && short <= 3) {
			return true
		}
		// "where do they inject it for migraines": a place, which the topic
		// entries do not give.
		if t.Raw == "where" || t.Raw == "donde" {
			return true
		}
		if (t.Raw == "how" || t.Raw == "como") && i+1 < len(toks) && otherHow[toks[i+1].Raw] {
			return true
		}
		// "which pill works": a choice among options; "which kinds of
		// pain" asks what the treatment is for.
		if (t.Raw == "which" || t.Raw == "cual") && (i+1 == len(toks) || !kinds[toks[i+1].Raw]) {
			return true
		}
	}
	return false
}

// evaluative words ask to compare or rank, which no entry answers.
var evaluative = wordSet(`best better worse worst wors cheapest cheaper strongest stronger fastest quickest easiest top mejor peor`)

var kinds = wordSet(`kind kinds type types sort sorts tipo tipos`)

// substantive reports a message sharing with the entry a word that is not
// an everyday word, or made up wholly of the entry's words ("what does it
// feel like"): "see you tomorrow" shares only "see" with "who will i see".
func (e *Engine) substantive(ts []string, id string) bool {
	all := true
	for _, t := range ts {
		has := e.ix.LabelHas(id, t)
		if has && !nlu.IsCommon(t) {
			return true
		}
		all = all && (has || nlu.IsNumberish(t))
	}
	return all
}

// topical reports a message that names one of the entry's own topics.
func (e *Engine) topical(ts []string, id string) bool {
	for _, t := range ts {
		if slices.Contains(e.topic[t], id) {
			return true
		}
	}
	return false
}

// confidence combines how much of the message the best document explains,
// how much of that document the message covers, and the margin to the
// runner-up label, into [0,1].
//
// When the best entry won on a question-type cue, other entries' topic
// words ("how often is migraine botox repeated") weigh only topicWeight:
// they say what the question is about, not what it asks.
func (e *Engine) confidence(terms []string, h nlu.Hit, cued bool) float64 {
	qcov, dcov := e.coverage(terms, h, cued)
	if qcov == 0 {
		return 0
	}
	margin := 1.0
	if h.Second != "" && h.Score > 0 {
		margin = (h.Score - h.Score2) / h.Score
	}
	c := (qcovWeight*qcov + (1-qcovWeight)*dcov) * math.Min(1, marginFloor+marginSlope*margin)
	return math.Max(0, math.Min(1, c))
}

// coverage is the share of the message's content weight that the best
// document explains (qcov) and the share of that document the message
// covers (dcov).
func (e *Engine) coverage(terms []string, h nlu.Hit, cued bool) (qcov, dcov float64) {
	if h.Label == "" || h.Score <= 0 {
		return 0, 0
	}
	var qmass float64
	for i, t := range terms {
		if slices.Contains(terms[:i], t) {
			continue
		}
		switch {
		case cued && e.ix.Has(t) && len(e.topic[t]) > 0 && !slices.Contains(e.topic[t], h.Label):
			qmass += topicWeight * e.ix.IDF(t)
		case e.ix.Has(t):
			qmass += e.ix.IDF(t)
		case nlu.IsNumberish(t):
		case nlu.IsCommon(t):
			qmass += commonWeight * e.ix.MaxIDF()
		default:
			qmass += unknownWeight * e.ix.MaxIDF()
		}
	}
	if qmass == 0 {
		return 0, 0
	}
	qcov = h.Matched / qmass
	if h.DocMass > 0 {
		dcov = h.Matched / h.DocMass
	}
	return qcov, dcov
}
