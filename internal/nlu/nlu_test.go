package nlu

import (
	"reflect"
	"testing"
)

func textWords(t Text) []string {
	var out []string
	for _, w := range t.Words {
		out = append(out, w.W)
	}
	return out
}

func TestNormalize(t *testing.T) {
	cases := []struct {
		in       string
		want     []string
		question bool
		emoji    int
	}{
		{"How long does BOTOX last?", []string{"how", "long", "does", "botox", "last"}, true, 0},
		{"¿Cuánto dura la migraña?", []string{"cuanto", "dura", "la", "migrana"}, true, 0},
		{"i don't  know…", []string{"i", "dont", "know"}, false, 0},
		{"i can’t breathe", []string{"i", "cant", "breathe"}, false, 0},
		{"thanks 🙏🙏", []string{"thanks"}, false, 2},
		{"does it hurt question mark", []string{"does", "it", "hurt"}, true, 0},
		{"anti-aging", []string{"anti", "aging"}, false, 0},
		{"", nil, false, 0},
	}
	for _, c := range cases {
		got := Normalize(c.in)
		if !reflect.DeepEqual(textWords(got), c.want) || got.Question != c.question || got.Emoji != c.emoji {
			t.Errorf("Normalize(%q) = %v q=%v emoji=%d, want %v q=%v emoji=%d", c.in, textWords(got), got.Question, got.Emoji, c.want, c.question, c.emoji)
		}
	}
}

func TestClauses(t *testing.T) {
	got := Normalize("no pain, but my lips swell. is that ok?")
	if got.Words[0].Clause == got.Words[2].Clause {
		t.Errorf("comma should split clauses: %+v", got.Words)
	}
	if got.Words[0].Sentence != got.Words[2].Sentence || got.Words[6].Sentence == got.Words[0].Sentence {
		t.Errorf("sentences wrong: %+v", got.Words)
	}
	if !reflect.DeepEqual(got.QSentences, []int{1}) {
		t.Errorf("QSentences = %v", got.QSentences)
	}
}

func TestStem(t *testing.T) {
	same := [][]string{
		{"breathing", "breathe", "breath"},
		{"injections", "injection"},
		{"migraines", "migraine"},
		{"swelling", "swell"},
		{"hurts", "hurt"},
		{"months", "month"},
	}
	for _, g := range same {
		for _, w := range g[1:] {
			if Stem(w) != Stem(g[0]) {
				t.Errorf("Stem(%q)=%q, Stem(%q)=%q: want equal", w, Stem(w), g[0], Stem(g[0]))
			}
		}
	}
	if Stem("14") != "14" || Stem("tmj") != "tmj" {
		t.Error("short words and numbers must stay")
	}
}

func TestSpeller(t *testing.T) {
	s := NewSpeller(map[string]int{"botox": 5, "migraine": 3, "swallowing": 1, "breathe": 1}, map[string]bool{"cancel": true})
	for in, want := range map[string]string{
		"botx": "botox", "bottox": "botox", "migrane": "migraine", "mirgaine": "migraine",
		"swalowing": "swallowing", "breahte": "breathe",
		"heat": "heat", "cancel": "cancel", "sister": "sister", "zzzzzz": "zzzzzz",
	} {
		if got, _ := s.Correct(in); got != want {
			t.Errorf("Correct(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPatternsAndNegation(t *testing.T) {
	a := NewAnalyzer(nil)
	p, err := a.CompilePattern("cant|trouble|hard * breath*")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]bool{
		"i cant breathe":                                    true,
		"having a really hard time breathing":               true,
		"i don't have trouble breathing, just wondering":    false,
		"not having any trouble breathing":                  false,
		"no pain but trouble breathing":                     true,
		"i dont feel right, cant breathe":                   true,
		"breathing is fine":                                 false,
		"trouble with my jaw. breathing fine":               false,
		"i'm not sure but i think i have trouble breathing": true,
	}
	for in, want := range cases {
		got := p.Find(a.Analyze(in).Tokens, true) >= 0
		if got != want {
			t.Errorf("%q: match=%v, want %v", in, got, want)
		}
	}
	if _, err := a.CompilePattern("* foo"); err == nil {
		t.Error("leading * must fail")
	}
}

func TestSynonymsAndAbbreviations(t *testing.T) {
	a := NewAnalyzer(map[string]string{"lie down": "lie", "migrana": "migraine", "11s": "wrinkle"})
	got := a.Terms("can u lay down 4 hrs after? migraña 11s")
	want := []string{"lie", "4", "hour", "after", "migrain", "wrinkl"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Terms = %v, want %v", got, want)
	}
}

func TestDetectLang(t *testing.T) {
	for in, want := range map[string]string{
		"how long does it last":       "en",
		"cuánto dura el botox":        "es",
		"tengo dolor en la mandibula": "es",
		"botox":                       "",
		"me cuesta respirar después de la inyección": "es",
	} {
		if got := DetectLang(Normalize(in)); got != want {
			t.Errorf("DetectLang(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIndex(t *testing.T) {
	b := NewIndexBuilder()
	b.Add("duration", []string{"long", "last"})
	b.Add("duration", []string{"wear", "off"})
	b.Add("pain", []string{"hurt"})
	b.Add("pain", []string{"needl", "hurt"})
	ix := b.Build()
	h := ix.Search([]string{"needl", "hurt", "hurt"})
	if h.Label != "pain" || h.Second != "" || h.Matched != h.DocMass {
		t.Errorf("Search = %+v", h)
	}
	if h := ix.Search([]string{"unknown"}); h.Label != "" {
		t.Errorf("unknown term matched %+v", h)
	}
}

func TestPatternSuffixAndNumber(t *testing.T) {
	a := NewAnalyzer(nil)
	cases := []struct {
		pat, text string
		want      bool
	}{
		{"*triptan", "can i take sumatriptan with it", true},
		{"*triptan", "triptan", false}, // too short before the suffix
		{"*olol", "i am on propranolol", true},
		{"*olol", "lol", false},
		{"daughter * is #", "my daughter is 14", true},
		{"daughter * is #", "my daughter is tall", false},
		{"push * my * #", "can we push my 10am", true},
		// a word whose stem is another, function word matches itself and
		// its inflections, never that word
		{"noted", "noted", true},
		{"noted", "i should not lie down", false},
		{"evening|evenings", "this evening works", true},
		{"evening|evenings", "is it even safe", false},
		{"wellness", "your wellness division", true},
		{"wellness", "well how long does it last", false},
	}
	for _, c := range cases {
		p, err := a.CompilePattern(c.pat)
		if err != nil {
			t.Fatalf("%q: %v", c.pat, err)
		}
		if got := p.Find(a.Analyze(c.text).Tokens, false) >= 0; got != c.want {
			t.Errorf("%q on %q = %v, want %v", c.pat, c.text, got, c.want)
		}
	}
}

func TestConjunctionAndNumberRange(t *testing.T) {
	a := NewAnalyzer(nil)
	cases := []struct {
		name, pat, text string
		want            bool
	}{
		{"either order", "swallow* & hard|stuck|off", "swallowing feels off today", true},
		{"other order", "swallow* & hard|stuck|off", "its hard to swallow", true},
		{"one part missing", "swallow* & hard|stuck|off", "swallowing is fine", false},
		{"across a comma", "red & spread*", "the spot is red, and spreading", true},
		{"not across sentences", "red & spread*", "it is red. the news is spreading", false},
		{"negated before the match", "swallow* & trouble", "no trouble swallowing", false},
		{"negated in another clause", "swallow* & trouble", "not sure why, trouble swallowing", true},
		{"negation inside the match", "no * quiero * recibir & mensaj*", "ya no quiero recibir mensajes", true},
		{"too far apart", "red & spread*", "red wine is what i had with dinner on the night before my friend told me about the virus spreading", false},
		{"three parts", "my|i & swollen & since|after", "my lip is swollen since the shots", true},
		{"fever in range", "#99.5-108 & fever", "101 fever", true},
		{"decimal in range", "#99.5-108|#37.5-43 & temp*", "temp is 101.8 tonight", true},
		{"spanish decimal", "#37.5-43 & fiebre", "tengo fiebre de 38,5", true},
		{"unit letter", "running * #99.5-108", "running 102f", true},
		{"out of range", "#99.5-108 & fever", "fever for 3 days", false},
		{"clock time is no number", "#99.5-108 & temp*", "temp at 10am", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := a.CompilePattern(c.pat)
			if err != nil {
				t.Fatalf("%q: %v", c.pat, err)
			}
			if got := p.Find(a.Analyze(c.text).Tokens, true) >= 0; got != c.want {
				t.Errorf("%q on %q = %v, want %v", c.pat, c.text, got, c.want)
			}
		})
	}
	for _, bad := range []string{"a & * b", "a & b *", "a &"} {
		if _, err := a.CompilePattern(bad); err == nil {
			t.Errorf("CompilePattern(%q) succeeded, want an error", bad)
		}
	}
}

func TestNormalizeKeepsDecimals(t *testing.T) {
	for in, want := range map[string][]string{
		"temp 101.8":      {"temp", "101.8"},
		"38,5 de fiebre":  {"38.5", "de", "fiebre"},
		"it is 5. then i": {"it", "is", "5", "then", "i"},
	} {
		var got []string
		for _, w := range Normalize(in).Words {
			got = append(got, w.W)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Normalize(%q) = %v, want %v", in, got, want)
		}
	}
}

// TestPatternSetFindsWhatEveryPatternFinds: the index never hides a
// pattern that matches.
func TestPatternSetFindsWhatEveryPatternFinds(t *testing.T) {
	a := NewAnalyzer(nil)
	var ps []Pattern
	for _, src := range []string{"cant|hard * breath*", "swallow* & hard|off", "*triptan", "#99.5-108 & fever", "no more * texts", "ab* * cd", "stop"} {
		p, err := a.CompilePattern(src)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	set := NewPatternSet(ps)
	for _, msg := range []string{"i cant breathe", "swallowing feels off", "on sumatriptan", "101 fever", "no more texts", "abc then cd", "please stop", "nothing here"} {
		toks := a.Analyze(msg).Tokens
		seen := map[int]bool{}
		for i := range set.Candidates(toks) {
			seen[i] = true
		}
		for i := range ps {
			if ps[i].Find(toks, false) >= 0 && !seen[i] {
				t.Errorf("%q matches %q but the set did not offer it", msg, ps[i].Src)
			}
		}
	}
}

func TestNgramClassifierToleratesTypos(t *testing.T) {
	c := NewNgramClassifier(
		[]string{"please stop texting me", "remove me from your list", "how long does botox last", "who is this"},
		[]string{"optout", "optout", "faq", "help"})
	for in, want := range map[string]string{
		"plz stpo txting me":   "optout",
		"remvoe me frm list":   "optout",
		"how lnog does it lst": "faq",
		"whos ths":             "help",
	} {
		best := NgramHit{}
		for _, h := range c.Nearest(in) {
			if h.Score > best.Score {
				best = h
			}
		}
		if best.Label != want {
			t.Errorf("Nearest(%q) = %+v, want %s", in, best, want)
		}
	}
}

func TestSpellerUndoesSwappedLettersInShortWords(t *testing.T) {
	sp := NewSpeller(map[string]int{"last": 3, "jaw": 2, "own": 1, "hurt": 1, "tmj": 1}, nil)
	cases := []struct{ in, want string }{
		{"lsat", "last"}, {"hrut", "hurt"}, {"jwa", "jaw"},
		{"won", "won"}, // a word of its own, not a slip for "own"
		{"tmg", "tmj"}, // an initialism spelt by ear
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			if got, _ := sp.Correct(c.in); got != c.want {
				t.Errorf("Correct(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestSound(t *testing.T) {
	for _, p := range [][2]string{{"botocks", "botox"}, {"saif", "safe"}, {"hormoan", "hormone"}, {"tmg", "tmj"}} {
		if Sound(p[0]) != Sound(p[1]) {
			t.Errorf("Sound(%q) = %q, Sound(%q) = %q: want the same", p[0], Sound(p[0]), p[1], Sound(p[1]))
		}
	}
	if Sound("sorry") == Sound("safe") {
		t.Errorf("Sound(sorry) = Sound(safe) = %q", Sound("safe"))
	}
}

func TestUnstretch(t *testing.T) {
	for in, want := range map[string]string{
		"heyyy": "hey", "sooo": "so", "pleaseee": "please", "graciasss": "gracias", "holaaaa": "hola",
		"coool": "cool", "gooood": "good", "siii": "si", "yesss": "yes", "1000": "1000", "soon": "soon",
		"thankkkks": "thanks",
	} {
		if got := unstretch(in); got != want {
			t.Errorf("unstretch(%q) = %q, want %q", in, got, want)
		}
	}
}
