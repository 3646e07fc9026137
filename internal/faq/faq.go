// Package faq loads the clinic's FAQ directory (entries, intents, clinic
// settings) into a Set, and lints it. It knows the file formats and nothing
// about how messages are understood.
package faq

import (
	"time"
)

// Set is one loaded FAQ directory.
type Set struct {
	Dir     string
	Entries []*Entry
	Intents map[string]*Intent // by intent name: booking, human, emergency, ...
	Clinic  *Clinic
	// Synonyms maps a variant word or phrase (as written) to its canonical
	// word, from the intents directory (files with a top-level "synonyms").
	Synonyms map[string]string
	// Version is a content hash of every file loaded, so a reload that
	// changes nothing is visible as such.
	Version string
	// Warnings are problems that did not stop the load (file:line: message).
	Warnings []Problem
}

// Entry returns the entry with that id, or nil.
func (s *Set) Entry(id string) *Entry {
	for _, e := range s.Entries {
		if e.ID == id {
			return e
		}
	}
	return nil
}

// Text is the language-specific part of an entry.
type Text struct {
	Question   string   `yaml:"question" json:"question"`
	Alternates []string `yaml:"alternates" json:"alternates"`
	Keywords   []string `yaml:"keywords" json:"keywords"`
	Answer     string   `yaml:"answer" json:"answer"`
}

// Entry is one FAQ answer. The top-level Text is English; ES is Spanish.
type Entry struct {
	ID   string
	Text      // English: question, alternates, keywords, answer
	ES   Text // Spanish (may be empty)
	Tags []string
	// Cues are patterns (intent pattern syntax) of the question type this
	// entry answers ("how long * last", "safe", "what is it"): a message
	// matching an entry's cue leans to that entry even when it names
	// another entry's topic ("how often is migraine botox repeated").
	Cues []string
	// Topics are the words naming this entry's subject ("migraine",
	// "jaw"): they only break ties, so when another entry wins on a cue
	// they count little against its confidence.
	Topics []string
	// Source says where in the clinic's material the answer comes from.
	Source string

	File string // path of the file it came from
	Line int    // line of the entry's first key
	// Lines holds the line of each field ("answer", "es.answer",
	// "alternates.3", ...) for lint messages.
	Lines map[string]int
}

// Answer returns the answer in lang ("es" falls back to English).
func (e *Entry) AnswerIn(lang string) string {
	if lang == "es" && e.ES.Answer != "" {
		return e.ES.Answer
	}
	return e.Answer
}

// Intent is a non-FAQ intent described as data: patterns that trigger it,
// example phrasings scored like FAQ alternates, and its reply templates.
type Intent struct {
	Name string
	// Patterns trigger the intent when they occur in a message. A pattern is
	// words separated by spaces; "a|b" is either word, "*" allows up to three
	// other words in between. Words are normalised like messages.
	Patterns []string
	// SelfHarm patterns (emergency only) also set Decision.SelfHarm.
	SelfHarm []string
	// Blockers of unknown force unknown: topics the FAQ never answers.
	// Blockers of optin are signs that a message refuses texts ("stop",
	// "enough", "without asking"): outside the opt-in's own match, one
	// makes the message no opt-in.
	Blockers []string
	// Exceptions of unknown are phrases whose words no blocker may use:
	// "is botox a drug or a filler" asks what Botox is, so "filler" inside
	// "is ... or ... filler" does not make it an other-treatment question.
	// Exceptions of booking, optin and optout are phrases whose words their
	// own patterns do not see ("i'm booked for monday", "why did you start
	// texting me", "did i unsubscribe?").
	Exceptions []string
	// Examples are phrasings scored against messages like FAQ alternates.
	Examples []string
	// FallbackExamples are messages of the intent in plain words, decided
	// by the nearest example (character trigrams, so misspellings still
	// land near them) only when no pattern and no FAQ entry decided.
	FallbackExamples []string
	// Replies by key: "en", "es", "en_after_hours", "es_after_hours",
	// "en_self_harm", "es_self_harm".
	Replies map[string]string

	File  string
	Lines map[string]int // "replies.en", "patterns.2", ...
}

// Reply returns the reply template for lang and variant ("" or
// "after_hours", "self_harm"), falling back to the plain variant and then
// to English. It returns "" when the intent has no reply at all.
func (it *Intent) Reply(lang, variant string) string {
	if it == nil {
		return ""
	}
	keys := []string{}
	if variant != "" {
		keys = append(keys, lang+"_"+variant, "en_"+variant)
	}
	keys = append(keys, lang, "en")
	for _, k := range keys {
		if r := it.Replies[k]; r != "" {
			return r
		}
	}
	return ""
}

// Clinic is who the bot speaks for and when the office is staffed.
type Clinic struct {
	Name     string  `yaml:"name"`
	Short    string  `yaml:"short_name"`
	TimeZone string  `yaml:"time_zone"`
	Phone    string  `yaml:"phone"`
	Hours    Hours   `yaml:"hours"`
	Staff    []Staff `yaml:"staff"`

	loc *time.Location
}

// Staff is one contact for escalations.
type Staff struct {
	Name  string `yaml:"name"`
	Role  string `yaml:"role"`
	Phone string `yaml:"phone"` // E.164
	Email string `yaml:"email"`
}

// Hours are the office hours by weekday key: "mon" … "sun", each
// "HH:MM-HH:MM" or "closed" (a missing day is closed).
type Hours map[string]string

// DefaultClinic is used when the directory has no clinic.yaml.
func DefaultClinic() *Clinic {
	return &Clinic{Name: "the clinic", Short: "the clinic", loc: time.UTC}
}

// ShortName is the short name, or the full name if there is none.
func (c *Clinic) ShortName() string {
	if c == nil {
		return "the clinic"
	}
	if c.Short != "" {
		return c.Short
	}
	if c.Name != "" {
		return c.Name
	}
	return "the clinic"
}

// DisplayName is the clinic's full name.
func (c *Clinic) DisplayName() string {
	if c == nil || c.Name == "" {
		return "the clinic"
	}
	return c.Name
}

// Location is the clinic's time zone (UTC if unknown).
func (c *Clinic) Location() *time.Location {
	if c == nil || c.loc == nil {
		return time.UTC
	}
	return c.loc
}

var dayKeys = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// IsOpen reports whether t falls inside office hours. A clinic without
// hours is always considered open (escalation replies then promise a reply
// "soon" rather than "next business day").
func (c *Clinic) IsOpen(t time.Time) bool {
	if c == nil || len(c.Hours) == 0 {
		return true
	}
	lt := t.In(c.Location())
	span, ok := c.Hours[dayKeys[lt.Weekday()]]
	if !ok {
		return false
	}
	from, to, ok := parseSpan(span)
	if !ok {
		return false
	}
	m := lt.Hour()*60 + lt.Minute()
	return m >= from && m < to
}

// parseSpan parses "08:00-17:00" into minutes since midnight.
func parseSpan(s string) (from, to int, ok bool) {
	var h1, m1, h2, m2 int
	n, err := sscanSpan(s, &h1, &m1, &h2, &m2)
	if err != nil || n != 4 || h1 > 24 || h2 > 24 || m1 > 59 || m2 > 59 {
		return 0, 0, false
	}
	from, to = h1*60+m1, h2*60+m2
	return from, to, from < to
}
