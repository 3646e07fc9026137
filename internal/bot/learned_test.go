package bot

import (
	"strings"
	"testing"

	"github.com/flsps/faqbot/internal/faq"
)

// plainSet is a FAQ of entries with only a question, alternates and an
// answer: no cues, no topics, no intents.
func plainSet() *faq.Set {
	entry := func(id, q string, alts ...string) *faq.Entry {
		return &faq.Entry{ID: id, Text: faq.Text{Question: q, Alternates: alts, Answer: "[" + id + "]"}}
	}
	return &faq.Set{Entries: []*faq.Entry{
		entry("parking", "Where can I park?", "is there parking at the office", "where do visitors leave their car", "do you have a garage"),
		entry("wifi", "Is there wifi in the waiting room?", "can i get on the internet while i wait", "whats the wifi password", "do you have free wireless"),
		entry("pets", "Can I bring my dog?", "are pets allowed inside", "can my service animal come with me", "is it ok to bring a cat"),
	}, Intents: map[string]*faq.Intent{}}
}

func TestPlainEntryAnswersParaphrases(t *testing.T) {
	e := NewEngine(plainSet())
	cases := []struct{ name, text, want string }{
		{"reworded", "where should i leave my car when i come in", "faq:parking"},
		{"misspelt", "is ther wifii in the waitng room", "faq:wifi"},
		{"other words", "are dogs allowed in the office", "faq:pets"},
		{"out of scope", "what is the capital of australia", "unknown"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := e.Decide(c.text, Context{})
			got := string(d.Intent)
			if d.Intent == IntentFAQ {
				got = "faq:" + d.FAQID
			}
			if got != c.want {
				t.Errorf("Decide(%q) = %s (%.2f, %s), want %s", c.text, got, d.Confidence, d.Rule, c.want)
			}
		})
	}
}

func TestLearnedAnswerSaysWhichNeighbourDecided(t *testing.T) {
	e := NewEngine(plainSet())
	d := e.Decide("can my dog come inside with me", Context{})
	if d.FAQID != "pets" || !strings.HasPrefix(d.Rule, "learned: nearest ") || !strings.Contains(d.Rule, "shared ") {
		t.Errorf("Decide = %s %q, want pets with a rule naming the nearest phrasing and shared features", d.FAQID, d.Rule)
	}
}

// TestLearnedNearPhrasingNeedsNoContentWord: a message that is nearly one
// of an entry's own phrasings is answered even when all its words are
// stopwords (learnedNear); a message that merely shares stopwords is not.
func TestLearnedNearPhrasingNeedsNoContentWord(t *testing.T) {
	set := plainSet()
	set.Entries = append(set.Entries, &faq.Entry{ID: "origin", Text: faq.Text{Question: "Where are you from?", Alternates: []string{"where do you come from", "where are you based"}, Answer: "[origin]"}})
	e := NewEngine(set)
	for text, want := range map[string]string{
		"so where are you from":            "faq:origin",
		"what is the capital of australia": "unknown",
	} {
		d := e.Decide(text, Context{})
		got := string(d.Intent)
		if d.Intent == IntentFAQ {
			got = "faq:" + d.FAQID
		}
		if got != want {
			t.Errorf("Decide(%q) = %s (%.2f, %s), want %s", text, got, d.Confidence, d.Rule, want)
		}
	}
}
