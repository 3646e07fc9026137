package nlu

import "testing"

func TestSoundOut(t *testing.T) {
	a := NewAnalyzer(nil)
	a.SetVocabulary([]string{"is botox safe", "hormone therapy", "does it hurt", "how long does it last", "book", "back",
		"choke|choking", "downtime after"}, []string{"mand* * mensaj*"})
	for _, c := range []struct {
		in, want string
		changed  bool
	}{
		{"is it saif", "is it safe", true},                                 // sounds like, two edits
		{"hormoan therapy for women?", "hormone therapy for women?", true}, // question mark kept
		{"do the shots hert", "do the shots hurt", true},
		{"how long dose botox lst", "how long dose botox last", true}, // vowels dropped
		{"how long do i cook chili", "", false},                       // a dictionary word: not "choke"
		{"traffic downtown. is it bad", "", false},                    // not "downtime"
		{"pueden mandarme info", "", false},                           // read by "mand*"
		{"is it safe", "", false},                                     // nothing to sound out
		{"zzzq", "", false},                                           // sounds like nothing
		{"can i bok", "can i book", true},                             // one letter of four dropped
		{"the dog ate it", "", false},                                 // dictionary words
	} {
		got, changed := a.SoundOut(Normalize(c.in))
		if changed != c.changed || changed && got != c.want {
			t.Errorf("SoundOut(%q) = %q, %v; want %q, %v", c.in, got, changed, c.want, c.changed)
		}
	}
}

func TestIsWord(t *testing.T) {
	for w, want := range map[string]bool{
		"cook": true, "downtown": true, "salary": true, "cocinar": true, "migrana": true,
		"saif": false, "hormoan": false, "stahp": false,
	} {
		if got := IsWord(w); got != want {
			t.Errorf("IsWord(%q) = %v, want %v", w, got, want)
		}
	}
}
