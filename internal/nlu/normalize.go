// Package nlu turns raw patient text into matchable tokens and scores them:
// normalisation (case, accents, emoji, punctuation, dictation,
// abbreviations), a light English/Spanish stemmer, typo correction against a
// vocabulary, trigger patterns with negation, language detection and a
// BM25 inverted index. It knows nothing about the clinic: the vocabulary,
// synonyms and patterns come from the caller.
package nlu

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Word is one normalised word of a message and the clause it belongs to
// (clauses are split at . , ; : ! ? and line breaks).
type Word struct {
	W        string
	Clause   int
	Sentence int // split at . ! ? and line breaks only
}

// Text is a message after normalisation.
type Text struct {
	Words    []Word
	Question bool // a "?" or dictated "question mark"
	Emoji    int  // emoji and other pictographs
	Accents  bool // the original had Spanish letters or ¿ ¡
	// QSentences are the sentences that end with a question mark.
	QSentences []int
}

var stripMarks = runes.Remove(runes.In(unicode.Mn))

// Fold lower-cases s and strips accents ("Migraña" → "migrana").
func Fold(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	t := transform.Chain(norm.NFD, stripMarks, norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}

// Normalize splits a message into folded words. Apostrophes inside words
// vanish ("don't" → "dont"), other punctuation separates words, sentence
// punctuation also separates clauses, and emoji are counted, not kept.
func Normalize(s string) Text {
	var t Text
	for _, r := range s {
		switch r {
		case 'ñ', 'Ñ', 'á', 'é', 'í', 'ó', 'ú', 'Á', 'É', 'Í', 'Ó', 'Ú', '¿', '¡':
			t.Accents = true
		}
		if t.Accents {
			break
		}
	}
	f := Fold(s)
	clause, sentence := 0, 0
	var cur []byte
	start := 0 // where cur began in f
	var buf [4]byte
	flush := func() {
		if len(cur) > 0 {
			if t.Words == nil {
				t.Words = make([]Word, 0, strings.Count(f, " ")+1)
			}
			// Most words are a piece of f as it is: no copy then.
			w := f[start:min(start+len(cur), len(f))]
			if w != string(cur) {
				w = string(cur)
			}
			t.Words = append(t.Words, Word{W: unstretch(w), Clause: clause, Sentence: sentence})
			cur = cur[:0]
		}
	}
	prevLetter := false
	for i, r := range f {
		if len(cur) == 0 {
			start = i
		}
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			n := utf8.EncodeRune(buf[:], r)
			cur = append(cur, buf[:n]...)
			prevLetter = true
			continue
		case r == '\'' || r == '’' || r == '‘' || r == '`' || r == 'ʼ':
			if prevLetter {
				continue // don't → dont
			}
			flush()
		case (r == '.' || r == ',') && len(cur) > 0 && isDigit(cur[len(cur)-1]) && nextIsDigit(f[i+1:]):
			// A decimal point inside a number ("101.8", "38,5") keeps the
			// number whole: temperatures are read as numbers.
			cur = append(cur, '.')
			continue
		case r == '?':
			t.Question = true
			flush()
			if n := len(t.QSentences); n == 0 || t.QSentences[n-1] != sentence {
				t.QSentences = append(t.QSentences, sentence)
			}
			clause++
			sentence++
		case r == '.' || r == '!' || r == '\n' || r == '\r':
			flush()
			clause++
			if len(t.Words) > 0 && t.Words[len(t.Words)-1].Sentence == sentence {
				sentence++
			}
		case r == ',' || r == ';' || r == ':' || r == '¿' || r == '¡' || r == '(' || r == ')':
			flush()
			clause++
		case isEmoji(r):
			t.Emoji++
			flush()
		default:
			flush()
		}
		prevLetter = false
	}
	flush()
	// Voice dictation: "question mark" ends a question.
	out := t.Words[:0]
	for i := 0; i < len(t.Words); i++ {
		w := t.Words[i]
		if w.W == "question" && i+1 < len(t.Words) && t.Words[i+1].W == "mark" {
			t.Question = true
			t.QSentences = append(t.QSentences, w.Sentence)
			i++
			for j := i + 1; j < len(t.Words); j++ {
				t.Words[j].Clause++
				t.Words[j].Sentence++
			}
			continue
		}
		out = append(out, w)
	}
	t.Words = out
	return t
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// nextIsDigit reports whether s starts with a digit (any script).
func nextIsDigit(s string) bool {
	r, n := utf8.DecodeRuneInString(s)
	return n > 0 && unicode.IsDigit(r)
}

// unstretch undoes letters held for emphasis ("heyyy", "sooo", "pleaseee",
// "graciasss", "coool"): a run of three or more of one letter becomes one
// letter at the end of the word or for a letter that English and Spanish
// never double (y, h, i, u, a, w, j, k, q, v, x), and two letters inside the
// word otherwise ("gooood" → "good"). Digits are left alone ("1000").
func unstretch(w string) string {
	run, stretched := 1, false
	for i := 1; i < len(w); i++ {
		if w[i] == w[i-1] && w[i] >= 'a' && w[i] <= 'z' {
			run++
			if run == 3 {
				stretched = true
				break
			}
		} else {
			run = 1
		}
	}
	if !stretched {
		return w
	}
	var b strings.Builder
	for i := 0; i < len(w); {
		j := i
		for j < len(w) && w[j] == w[i] {
			j++
		}
		n := j - i
		if n >= 3 && w[i] >= 'a' && w[i] <= 'z' {
			n = 2
			if j == len(w) || strings.IndexByte("yhiuawjkqvx", w[i]) >= 0 {
				n = 1
			}
		}
		b.WriteString(w[i : i+n])
		i = j
	}
	return b.String()
}

func isEmoji(r rune) bool {
	switch {
	case r >= 0x1F000 && r <= 0x1FAFF, r >= 0x2600 && r <= 0x27BF, r >= 0x2B00 && r <= 0x2BFF,
		r == 0xFE0F, r == 0x200D, r >= 0x1F1E6 && r <= 0x1F1FF:
		return true
	}
	return unicode.Is(unicode.So, r)
}

// abbreviations are general texting shorthand (not clinic vocabulary),
// expanded before anything else.
var abbreviations = map[string]string{
	"u": "you", "ya": "you", "yu": "you", "ur": "your", "youre": "you are", "r": "are",
	"pls": "please", "plz": "please", "pleas": "please", "plse": "please", "pleez": "please",
	"hrs": "hours", "hr": "hour", "wks": "weeks", "wk": "week", "mos": "months", "mo": "month",
	"mths": "months", "yrs": "years", "yr": "year", "min": "minutes", "mins": "minutes",
	"appt": "appointment", "appts": "appointments", "apt": "appointment", "apts": "appointments",
	"apointment": "appointment", "appointmnt": "appointment",
	"thx": "thanks", "thnx": "thanks", "thanx": "thanks", "ty": "thank you", "tysm": "thank you so much",
	"tmrw": "tomorrow", "tmr": "tomorrow", "tmrrw": "tomorrow", "2morrow": "tomorrow", "2day": "today",
	"b4": "before", "bc": "because", "cuz": "because", "bcuz": "because", "coz": "because",
	"cannot": "cant", "idk": "i dont know", "abt": "about", "thru": "through", "tho": "though", "ppl": "people", "sum1": "someone", "some1": "someone", "wat": "what", "wut": "what", "wht": "what",
	"ths": "this", "wats": "what is", "wuts": "what is", "whts": "what is", "wen": "when", "wher": "where", "hw": "how",
	"shud": "should", "shuld": "should", "cud": "could", "wud": "would", "dus": "does", "duz": "does",
	"dr": "doctor", "dr's": "doctor", "msg": "message", "msgs": "messages", "txt": "text", "txts": "texts",
	"w": "with", "wo": "without", "n": "and", "nd": "and", "gonna": "going to",
	"wanna": "want to", "gotta": "have to", "whats": "what is", "hows": "how is", "thats": "that is",
	"its": "it is", "lay": "lie", "laying": "lying", "layed": "lay", "lie": "lie",
	// Spanish
	"q": "que", "k": "que", "xq": "porque", "pq": "porque", "porq": "porque", "tb": "tambien",
	"tmb": "tambien", "d": "de", "dnd": "donde", "cdo": "cuando", "x": "por", "xfa": "por favor",
	"xfavor": "por favor",
}
