package nlu

import (
	"slices"
	"strings"
)

// SoundOut is the second reading of a message that no reading answered: each
// word that the vocabulary does not hold and that no single edit corrects
// is replaced by the vocabulary word it sounds like (Sound key, same first
// letter, a few edits: "saif" → "safe", "hormoan" → "hormone", "stahp" →
// "stop"). It returns the message rebuilt from its words, with its
// sentence and clause breaks, and whether any word changed. Everyday
// words, dictionary words (IsWord: "cook" never becomes "choke", nor
// "downtown" "downtime"), pattern and abbreviation words, words a
// pattern's prefix reads ("mandarme" is read by "mand*", so it never
// becomes "matarme") and numbers stay as typed.
func (a *Analyzer) SoundOut(t Text) (string, bool) {
	s := a.speller
	if s == nil {
		return "", false
	}
	changed := false
	var b strings.Builder
	for i, w := range t.Words {
		if i > 0 {
			prev := t.Words[i-1]
			switch {
			case w.Sentence != prev.Sentence && slices.Contains(t.QSentences, prev.Sentence):
				b.WriteString("? ")
			case w.Sentence != prev.Sentence:
				b.WriteString(". ")
			case w.Clause != prev.Clause:
				b.WriteString(", ")
			default:
				b.WriteByte(' ')
			}
		}
		word := w.W
		if c, ok := a.soundsOut(word); ok {
			word, changed = c, true
		}
		b.WriteString(word)
	}
	if n := len(t.Words); n > 0 && slices.Contains(t.QSentences, t.Words[n-1].Sentence) {
		b.WriteByte('?')
	}
	return b.String(), changed
}

// soundsOut returns the vocabulary word w sounds like, when w is a word
// SoundOut may replace.
func (a *Analyzer) soundsOut(w string) (string, bool) {
	s := a.speller
	// Three letters when texting dropped the vowels ("lst", "hrt"), or
	// one letter of a four-letter word ("bok"; checked below).
	short := len(w) == 3
	if len(w) < soundOutMinLen && !short || len(w) > maxWordLen || isNumber(w) || stopwords[w] || common[w] || commonStems[w] || s.keep[w] {
		return "", false
	}
	if _, ok := s.known[w]; ok {
		return "", false
	}
	if _, ok := abbreviations[w]; ok {
		return "", false
	}
	if IsWord(w) || contraction(w) {
		return "", false // a real word, only not the clinic's ("cook", "downtown")
	}
	if a.stubOf(w) != "" {
		return "", false
	}
	// The first reading took the word one edit away ("hert" → "heart");
	// the second takes the one it sounds like ("hurt"), if another.
	edited, _ := s.Correct(w)
	if short && hasVowel(w) {
		// "bok": a four-letter word with one letter dropped, that sounds
		// the same ("book", not "back").
		best, bestW := "", -1
		for _, c := range s.deletes[w] {
			if len(c) == 4 && c[0] == w[0] && !stopwords[c] && Sound(c) == Sound(w) && (s.known[c] > bestW || s.known[c] == bestW && c < best) {
				best, bestW = c, s.known[c]
			}
		}
		return best, best != "" && best != edited
	}
	c, ok := s.soundsLike(w)
	if !ok || c == edited {
		return "", false
	}
	return c, true
}

// soundOutMinLen is the shortest word SoundOut replaces by sound alone;
// a three-letter word only when it has no vowel ("lst") or is one letter
// short of a word that sounds the same ("bok").
const soundOutMinLen = 4

// contraction reports a contraction whose apostrophe normalising dropped
// ("howve", "thatll", "theyre"): a function word or a
// dictionary word and its ending.
func contraction(w string) bool {
	for _, end := range []string{"ve", "ll", "re", "d", "s"} {
		if base, ok := strings.CutSuffix(w, end); ok && len(base) >= 2 && (stopwords[base] || IsWord(base)) {
			return true
		}
	}
	return false
}
