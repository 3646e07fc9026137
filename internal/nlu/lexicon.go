package nlu

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
	"slices"
	"strings"
	"sync"
)

// lexiconGz is lexicon/words.txt.gz: the words of an English and a
// Spanish dictionary, folded and sorted (see lexicon/README.md).
//
//go:embed lexicon/words.txt.gz
var lexiconGz []byte

// lexicon is read on first use (SoundOut is rare): a sorted slice of
// substrings of one 1.6 MB string, about 4 MB in all.
var lexicon = sync.OnceValue(func() []string {
	zr, err := gzip.NewReader(bytes.NewReader(lexiconGz))
	if err != nil {
		panic("nlu: lexicon: " + err.Error()) // embedded: cannot happen
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		panic("nlu: lexicon: " + err.Error())
	}
	return strings.Fields(string(b))
})

// IsWord reports whether w (folded) is a word of the English or Spanish
// dictionary.
func IsWord(w string) bool {
	_, ok := slices.BinarySearch(lexicon(), w)
	return ok
}
