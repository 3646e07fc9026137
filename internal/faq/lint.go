package faq

import (
	"sort"
	"strings"
)

// Info is a lint finding that is not a problem (segment counts).
const Info Severity = "info"

// Check is an extra lint check run on a set that loaded (the engine's
// cross-match check lives in package bot, which imports this one).
type Check func(*Set) []Problem

// Lint reports every problem of a FAQ directory: load errors, unknown keys,
// duplicate ids, empty answers, SMS budgets (with each answer's segment
// count as Info), then the extra checks. Sorted by file and line.
func Lint(dir string, checks ...Check) []Problem {
	l, err := load(dir)
	if err != nil {
		return []Problem{{Severity: Error, Message: err.Error()}} // the message names dir
	}
	out := append([]Problem(nil), l.problems...)
	s := l.set
	if len(s.Entries) == 0 {
		out = append(out, Problem{File: dir, Severity: Error, Message: "no FAQ entries"})
	}
	for _, e := range s.Entries {
		if e.Answer != "" {
			out = append(out, smsProblems(e.File, e.Lines["answer"], "answer (en)", "en", e.Answer)...)
		}
		if e.ES.Answer != "" {
			out = append(out, smsProblems(e.File, e.Lines["es.answer"], "answer (es)", "es", e.ES.Answer)...)
		}
	}
	repl := strings.NewReplacer("{clinic}", s.Clinic.DisplayName(), "{short_name}", s.Clinic.ShortName(), "{phone}", s.Clinic.Phone)
	names := make([]string, 0, len(s.Intents))
	for n := range s.Intents {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		it := s.Intents[n]
		keys := make([]string, 0, len(it.Replies))
		for k := range it.Replies {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			lang := "en"
			if strings.HasPrefix(k, "es") {
				lang = "es"
			}
			for _, p := range smsProblems(it.File, it.Lines["replies."+k], n+" reply "+k, lang, repl.Replace(it.Replies[k])) {
				if p.Severity != Info {
					out = append(out, p)
				}
			}
		}
	}
	hasErr := false
	for _, p := range out {
		if p.Severity == Error && !p.UnknownKey {
			hasErr = true
		}
	}
	if !hasErr {
		for _, c := range checks {
			out = append(out, c(s)...)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Line < out[j].Line
	})
	return out
}
