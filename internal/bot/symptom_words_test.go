package bot

import "testing"

// The speller corrects words towards the FAQ's and the patterns' own
// vocabulary. A new word there once turned "slurred" into "blurred" and a
// slurred-speech report went unanswered as an emergency. Symptom words must
// reach the emergency patterns as the patient wrote them.
func TestSpellerLeavesSymptomWordsAlone(t *testing.T) {
	e := clinicEngine(t)
	words := []string{
		"slurred", "slurring", "blurred", "blurry", "swollen", "swelling", "numb", "tingly", "droopy", "drooping",
		"wheezing", "choking", "hives", "rash", "itchy", "dizzy", "fainted", "fainting", "weak", "weakness",
		"breathe", "breathing", "swallow", "swallowing", "hoarse", "chest", "tongue", "lips", "throat", "eyelid",
		"vision", "double", "seizure", "confused", "fever", "chills", "vomiting", "suicide", "overdose", "pills",
		"respirar", "tragar", "hinchada", "hinchazon", "garganta", "pecho", "mareada", "desmayo", "parpado", "labios",
	}
	for _, w := range words {
		an := e.an.Analyze(w)
		if len(an.Tokens) != 1 || an.Tokens[0].Raw != w {
			got := ""
			for _, tok := range an.Tokens {
				got += tok.Raw + " "
			}
			t.Errorf("%q reaches the patterns as %q", w, got)
		}
	}
}
