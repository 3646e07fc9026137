package bot

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/flsps/faqbot/internal/faq"
)

func clinicEngine(t testing.TB) *Engine {
	t.Helper()
	set, err := faq.Load("../../faq")
	if err != nil {
		t.Fatal(err)
	}
	return NewEngine(set)
}

func label(d Decision) string {
	if d.Intent == IntentFAQ {
		return "faq:" + d.FAQID
	}
	return string(d.Intent)
}

func TestCarrierKeywords(t *testing.T) {
	e := clinicEngine(t)
	cases := map[string]string{
		"STOP": "optout", "stop.": "optout", "Stop!": "optout", "stopall": "optout", "UNSUBSCRIBE": "optout",
		"cancel": "optout", "END": "optout", "quit": "optout", "revoke": "optout", "optout": "optout",
		"opt out": "optout", "Opt-Out": "optout",
		"START": "optin", "unstop": "optin", "Yes": "optin", "yes!": "optin",
		"HELP": "help", "Help.": "help", "info": "help", " INFO ": "help",
		// Not whole-message keywords.
		"I need to cancel my appointment": "booking",
		"HELP i cant breathe":             "emergency",
		"how do i stop my headaches":      "faq:migraine",
		"please stop texting me":          "optout",
		"no more messages":                "optout",
		"unsubscribe me":                  "optout",
	}
	for in, want := range cases {
		if got := label(e.Decide(in, Context{})); got != want {
			t.Errorf("%q: got %s, want %s", in, got, want)
		}
	}
}

func TestEmergencyAndNegation(t *testing.T) {
	e := clinicEngine(t)
	cases := map[string]bool{
		"my lips are swelling":         true,
		"i can't swallow":              true,
		"seeing double since my shots": true,
		"my eyelid is drooping":        true,
		"my words are slurred":         true,
		"chest pain":                   true,
		"no puedo respirar":            true,
		"tengo la lengua hinchada":     true,
		"i don't have trouble breathing, just wondering how long it lasts": false,
		"no swelling at all, how long does it last":                        false,
		"how long does botox last":                                         false,
	}
	for in, want := range cases {
		d := e.Decide(in, Context{})
		if got := d.Intent == IntentEmergency; got != want {
			t.Errorf("%q: emergency=%v (%s, %s), want %v", in, got, label(d), d.Rule, want)
		}
		if d.Intent == IntentEmergency && !strings.Contains(d.Reply, "911") {
			t.Errorf("%q: emergency reply lacks 911: %q", in, d.Reply)
		}
	}
	d := e.Decide("i want to end my life", Context{})
	if d.Intent != IntentEmergency || !d.SelfHarm || !strings.Contains(d.Reply, "988") {
		t.Errorf("self-harm: %+v", d)
	}
	if d := e.Decide("quiero morir", Context{}); !d.SelfHarm || d.Lang != "es" || !strings.Contains(d.Reply, "988") {
		t.Errorf("self-harm es: %+v", d)
	}
}

// TestSelfHarmMustStay: every concept family of self-harm, in English and
// Spanish, must reach the 988 reply; figures of speech for pain must not.
func TestSelfHarmMustStay(t *testing.T) {
	e := clinicEngine(t)
	for in, want := range map[string]bool{
		"sometimes i think about ending it all":             true,
		"i might just end it tonight":                       true,
		"i dont want to be around anymore":                  true,
		"some days i dont want to wake up":                  true,
		"i cant go on with this pain":                       true,
		"i cant take it anymore":                            true,
		"there is no point in living like this":             true,
		"i am ready to give up on life":                     true,
		"everyone would be better off without me":           true,
		"i keep thinking of hurting myself":                 true,
		"i want to kill myself":                             true,
		"thinking of taking an overdose":                    true,
		"quiero morirme":                                    true,
		"no quiero seguir viviendo así":                     true,
		"a veces quiero acabar con todo":                    true,
		"ya no puedo más":                                   true,
		"my jaw is killing me, can botox help":              false,
		"i cant frown anymore, how long does botox last":    false,
		"when does the numbness end, it bothers me at work": false,
	} {
		d := e.Decide(in, Context{})
		if d.SelfHarm != want {
			t.Errorf("%q: self-harm=%v (%s), want %v", in, d.SelfHarm, d.Rule, want)
		}
		if want && !strings.Contains(d.Reply, "988") {
			t.Errorf("%q: reply lacks 988: %q", in, d.Reply)
		}
	}
}

func TestUnknownSharesWords(t *testing.T) {
	e := clinicEngine(t)
	for _, in := range []string{
		"Does insurance cover botox for migraines",
		"how much does botox for tmj cost",
		"can i get botox if im pregnant",
		"what are your hours",
		"does botox help back pain",
		"zxqv wpt",
	} {
		if d := e.Decide(in, Context{}); d.Intent != IntentUnknown || !strings.Contains(d.Reply, "staff") {
			t.Errorf("%q: got %s (%s), want unknown", in, label(d), d.Rule)
		}
	}
}

func TestFollowUps(t *testing.T) {
	e := clinicEngine(t)
	cases := []struct{ last, in, want string }{
		{"migraine", "and how long does it last?", "faq:botox-duration"},
		{"procedure", "does it hurt?", "faq:needle-pain"},
		{"tmj", "is it safe for that?", "faq:safety"},
	}
	for _, c := range cases {
		if got := label(e.Decide(c.in, Context{LastFAQID: c.last})); got != c.want {
			t.Errorf("%q after %s: got %s, want %s", c.in, c.last, got, c.want)
		}
	}
}

func TestRepliesAndLanguage(t *testing.T) {
	e := clinicEngine(t)
	d := e.Decide("cuánto dura el botox?", Context{})
	if d.Lang != "es" || d.FAQID != "botox-duration" || !strings.Contains(d.Reply, "meses") {
		t.Errorf("spanish: %+v", d)
	}
	if d := e.Decide("help", Context{}); !strings.Contains(d.Reply, "Florida Spine and Pain Specialists") || !strings.Contains(d.Reply, "STOP") {
		t.Errorf("help reply: %q", d.Reply)
	}
	if d := e.Decide("hi", Context{}); d.Intent != IntentSmalltalk || !strings.Contains(d.Reply, "Botox") {
		t.Errorf("smalltalk reply: %+v", d)
	}
	if day, night := e.Reply(IntentBooking, "en", false), e.Reply(IntentBooking, "en", true); day == night || !strings.Contains(night, "closed") {
		t.Errorf("after-hours booking wording: %q / %q", day, night)
	}
	for _, in := range []Intent{IntentFAQ, IntentBooking, IntentHuman, IntentEmergency, IntentOptOut, IntentOptIn, IntentHelp, IntentSmalltalk, IntentUnknown} {
		for _, lang := range []string{"en", "es"} {
			for _, ah := range []bool{false, true} {
				r := e.Reply(in, lang, ah)
				if r == "" || strings.Contains(r, "{") {
					t.Errorf("Reply(%s,%s,%v) = %q", in, lang, ah, r)
				}
				if lang == "en" {
					if m := faq.MeasureSMS(r); m.Encoding != faq.GSM7 || m.Segments > 2 {
						t.Errorf("Reply(%s,en,%v) is %s/%d segments: %q", in, ah, m.Encoding, m.Segments, r)
					}
				}
			}
		}
	}
	if d := e.MediaOnly("es", true); d.Intent != IntentUnknown || d.Lang != "es" || d.Reply == "" {
		t.Errorf("MediaOnly: %+v", d)
	}
	if e.Clinic().ShortName() != "FLSPS" || e.Set().Entry("tmj") == nil {
		t.Error("Clinic/Set accessors")
	}
}

// A bare FAQ directory (another clinic, a benchmark) works: carrier
// keywords and built-in replies, no other intents.
func TestBareDirectory(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.yaml"), []byte("id: parking\nquestion: Where can I park?\nalternates: [is there parking, parking lot]\nanswer: Behind the building.\n"), 0o644)
	set, err := faq.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(set)
	for in, want := range map[string]string{"where do i park": "faq:parking", "STOP": "optout", "help": "help", "what is botox": "unknown"} {
		d := e.Decide(in, Context{})
		if got := label(d); got != want || d.Reply == "" {
			t.Errorf("%q: got %s %q, want %s", in, got, d.Reply, want)
		}
	}
	if r := e.Reply(IntentHelp, "en", false); !strings.Contains(r, "the clinic") {
		t.Errorf("help reply without clinic.yaml: %q", r)
	}
}

func TestConcurrentDecide(t *testing.T) {
	e := clinicEngine(t)
	msgs := []string{"how long does botox last", "does it hurt", "STOP", "my lips are swelling", "cuanto cuesta"}
	want := make([]string, len(msgs))
	for i, m := range msgs {
		want[i] = label(e.Decide(m, Context{}))
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				k := i % len(msgs)
				if got := label(e.Decide(msgs[k], Context{})); got != want[k] {
					t.Errorf("concurrent %q: %s != %s", msgs[k], got, want[k])
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestLintAlternatesClean(t *testing.T) {
	set, err := faq.Load("../../faq")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range LintAlternates(set) {
		if p.Severity == faq.Error {
			t.Error(p)
		}
	}
}

// A symptom that is happening now stays an emergency however it is
// phrased; only a general question, a needle phobia or a third person's
// past reaction elsewhere, with no present-time word, is not one.
func TestEmergencyNotCurrent(t *testing.T) {
	e := clinicEngine(t)
	stay := []string{
		"is it normal that i can't swallow very well since my injections?",
		"is it normal that my eyelid is drooping after the botox",
		"my dad had botox on monday and now he can't swallow",
		"my wife got botox somewhere else and she has trouble breathing",
		"does botox ever cause trouble breathing? because i am struggling to breathe",
		"i heard botox can cause trouble swallowing and i have that",
		"my friend says botox can cause double vision, i have double vision today",
		"i feel faint after the shots",
		"i fainted after my injections",
		"i read that it can cause drooping and my eyelid is drooping now",
		"can botox cause trouble breathing? i cant breathe",
		"HELP my lips are swelling",
		"i fainted after the shot, i hate needles",
		"needles scare me and i just passed out in your lobby",
		"i faint at the sight of needles and i am fainting now",
		"me desmayé después de la inyección, odio las agujas",
		"me desmayo cuando veo agujas y ahora me siento muy mal",
		"mi esposa se desmaya, ayuda",
		"no puedo tragar bien desde la inyección",
	}
	for _, s := range stay {
		if d := e.Decide(s, Context{}); d.Intent != IntentEmergency {
			t.Errorf("%q = %s (%s), want emergency", s, label(d), d.Rule)
		}
	}
	notNow := []string{
		"can botox ever make it hard to swallow? just curious",
		"i heard it can cause a droopy eyelid, how safe is it really",
		"i always pass out at the sight of blood and needles",
		"i faint whenever i see a needle, will this hurt a lot",
		"me desmayo con las agujas, duele mucho?",
		"needles make me pass out lol, is it going to be bad",
		"my cousin had blurry vision after botox at another spa, is it safe with you?",
	}
	for _, s := range notNow {
		if d := e.Decide(s, Context{}); d.Intent == IntentEmergency {
			t.Errorf("%q = emergency (%s), want a question about safety", s, d.Rule)
		}
	}
}
