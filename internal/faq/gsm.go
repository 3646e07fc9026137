package faq

import (
	"fmt"
	"unicode/utf16"
)

// GSM 03.38 basic character set (one septet each) and its extension table
// (two septets each: escape + char).
const (
	gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExt = "^{}\\[~]|€\f"
)

var gsmBasicSet, gsmExtSet = runeSet(gsmBasic), runeSet(gsmExt)

func runeSet(s string) map[rune]bool {
	m := map[rune]bool{}
	for _, r := range s {
		m[r] = true
	}
	return m
}

// Encoding is how an SMS body is sent.
type Encoding string

const (
	GSM7 Encoding = "GSM-7"
	UCS2 Encoding = "UCS-2"
)

// SMSInfo is the size of an SMS body.
type SMSInfo struct {
	Encoding Encoding
	Units    int // septets (GSM-7) or UTF-16 code units (UCS-2)
	Chars    int // characters
	Segments int
	// NonGSM lists the characters that force UCS-2.
	NonGSM []rune
}

// MeasureSMS counts the encoding units and segments of s: GSM-7 is 160
// septets in one segment or 153 a segment when split; UCS-2 is 70 or 67.
func MeasureSMS(s string) SMSInfo {
	var in SMSInfo
	septets := 0
	seen := map[rune]bool{}
	for _, r := range s {
		in.Chars++
		switch {
		case gsmBasicSet[r]:
			septets++
		case gsmExtSet[r]:
			septets += 2
		default:
			if !seen[r] {
				seen[r] = true
				in.NonGSM = append(in.NonGSM, r)
			}
		}
	}
	if len(in.NonGSM) == 0 {
		in.Encoding, in.Units = GSM7, septets
		in.Segments = segments(septets, 160, 153)
		return in
	}
	in.Encoding = UCS2
	in.Units = len(utf16.Encode([]rune(s)))
	in.Segments = segments(in.Units, 70, 67)
	return in
}

func segments(units, single, multi int) int {
	switch {
	case units == 0:
		return 0
	case units <= single:
		return 1
	}
	return (units + multi - 1) / multi
}

// needless are characters that force UCS-2 but have a GSM-7 twin.
var needless = map[rune]string{
	'‘': "'", '’': "'", '“': `"`, '”': `"`, '–': "-", '—': "-", '…': "...", '\u00a0': "a space",
	'•': "-", '′': "'", '″': `"`, '«': `"`, '»': `"`, '\t': "a space",
}

// SMSBudget is the most segments a reply in lang may take: two for English
// (GSM-7), three for Spanish (accents force UCS-2). Lint holds curated
// answers to it and the LLM guard holds rephrased ones to the same.
func SMSBudget(lang string) int {
	if lang == "es" {
		return 3
	}
	return 2
}

// smsProblems checks one text against its language's budget: English must
// be GSM-7 within two segments (306 septets); Spanish within three
// segments (201 characters when accents force UCS-2).
func smsProblems(file string, line int, what, lang, s string) []Problem {
	in := MeasureSMS(s)
	var out []Problem
	add := func(sev Severity, f string, a ...any) {
		out = append(out, Problem{File: file, Line: line, Severity: sev, Message: fmt.Sprintf(f, a...)})
	}
	for _, r := range in.NonGSM {
		if twin, ok := needless[r]; ok {
			add(Error, "%s: %q needlessly forces UCS-2; use %s", what, r, twin)
		} else if lang == "en" {
			add(Error, "%s: %q is not GSM-7 and forces UCS-2 in an English text", what, r)
		}
	}
	maxSeg := SMSBudget(lang)
	if in.Segments > maxSeg {
		add(Error, "%s: %d chars, %s, %d segments: over the %d-segment budget", what, in.Chars, in.Encoding, in.Segments, maxSeg)
	} else {
		add(Info, "%s: %d chars, %s, %d segment(s)", what, in.Chars, in.Encoding, in.Segments)
	}
	return out
}
