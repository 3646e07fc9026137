package nlu

import "strings"

// Stem reduces an English or Spanish word to a crude stem. It only needs to
// be consistent: the same stemmer runs over the FAQ and the messages.
func Stem(w string) string {
	if len(w) <= 3 || isNumber(w) {
		return w
	}
	try := func(suffix, repl string, min int) bool {
		if strings.HasSuffix(w, suffix) && len(w)-len(suffix)+len(repl) >= min {
			w = w[:len(w)-len(suffix)] + repl
			return true
		}
		return false
	}
	switch {
	case try("mente", "", 4): // Spanish adverbs
	case try("ciones", "cion", 4):
	case try("iendo", "", 3), try("ando", "", 3):
	case try("ies", "y", 3):
	case try("ness", "", 3), try("ful", "", 3):
	case try("ments", "", 4), try("ment", "", 4):
	case try("ings", "", 3), try("ing", "", 3):
		w = undouble(w)
	case try("ed", "", 3):
		w = undouble(w)
	case strings.HasSuffix(w, "sses"), strings.HasSuffix(w, "shes"), strings.HasSuffix(w, "ches"), strings.HasSuffix(w, "xes"):
		w = w[:len(w)-2]
	case try("ly", "", 4):
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is") && len(w) > 4:
		w = w[:len(w)-1]
	}
	// Final vowel: "breathe"/"breath", "migraine"/"migrain", "migrana"/"migran".
	if len(w) > 4 {
		if last := w[len(w)-1]; last == 'e' || last == 'a' || last == 'o' {
			w = w[:len(w)-1]
		}
	}
	return w
}

func undouble(w string) string {
	n := len(w)
	if n >= 4 && w[n-1] == w[n-2] && strings.IndexByte("bdgmnprt", w[n-1]) >= 0 {
		return w[:n-1]
	}
	return w
}

func isNumber(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return true
}

// IsNumberish reports a word that contains a digit ("14th", "2pm", "3").
func IsNumberish(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] >= '0' && w[i] <= '9' {
			return true
		}
	}
	return false
}
