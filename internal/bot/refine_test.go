package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/flsps/faqbot/internal/llm"
	"github.com/flsps/faqbot/internal/llmtest"
)

func llmClient(t *testing.T, srv *llmtest.Server, phrasing, assist bool) *llm.Client {
	t.Helper()
	return llm.New(llm.Config{BaseURL: srv.URL(), Model: "m", Timeout: time.Second, Phrasing: phrasing, Assist: assist})
}

func TestRefineNeverSendsFixedTextsToTheModel(t *testing.T) {
	e := clinicEngine(t)
	srv := llmtest.NewServer(t, llmtest.Reply("Please call us."))
	m := llmClient(t, srv, true, true)
	for _, msg := range []string{
		"i cant breathe after my botox", "STOP", "START", "HELP", "please stop texting me",
		"i want to book an appointment", "can i talk to a person", "hi", "thanks!", "how much does it cost",
		"quiero matarme",
	} {
		d := e.Decide(msg, Context{})
		if d.Intent == IntentFAQ {
			t.Fatalf("%q is an FAQ answer; pick a fixed-text message", msg)
		}
		got := Refine(context.Background(), m, e, msg, d)
		if got.Reply != d.Reply || got.Intent != d.Intent || got.Phrasing != PhrasingCurated {
			t.Errorf("%q (%s): refined to %+v", msg, d.Intent, got)
		}
	}
	if srv.Calls() != 0 {
		t.Fatalf("the model was called %d times for fixed texts", srv.Calls())
	}
}

func TestRefinePhrasesAnFAQAnswer(t *testing.T) {
	e := clinicEngine(t)
	msg := "how long does botox last"
	d := e.Decide(msg, Context{})
	if d.Intent != IntentFAQ || d.FAQID != "botox-duration" {
		t.Fatalf("decision %+v", d)
	}
	rewrite := "Botox usually lasts about 3 to 6 months, depending on the patient, and is repeated about every 3 to 6 months."
	srv := llmtest.NewServer(t, llmtest.Reply(rewrite))
	got := Refine(context.Background(), llmClient(t, srv, true, true), e, msg, d)
	if got.Reply != rewrite || got.Phrasing != PhrasingLLM || got.Curated != d.Reply || got.Fallback != "" {
		t.Fatalf("refined = %+v", got)
	}
	if !strings.Contains(srv.Requests()[0].User, d.Reply) {
		t.Errorf("the model did not get the curated answer")
	}

	srv.SetReply(llmtest.Reply("Botox lasts 8 months."))
	got = Refine(context.Background(), llmClient(t, srv, true, true), e, msg, d)
	if got.Reply != d.Reply || got.Phrasing != PhrasingCurated || got.Fallback != llm.ReasonNumber || got.Curated != "" {
		t.Fatalf("an added number must give the curated text: %+v", got)
	}

	// Phrasing off: nothing is asked.
	n := srv.Calls()
	got = Refine(context.Background(), llmClient(t, srv, false, true), e, msg, d)
	if got.Reply != d.Reply || srv.Calls() != n {
		t.Fatalf("phrasing off: %+v, %d calls", got, srv.Calls()-n)
	}
}

// greyUnknown is a grey-band decision as the engine makes one, built by
// hand so the test does not depend on the matcher's scores.
func greyUnknown(e *Engine) Decision {
	d := e.decision(IntentUnknown, "", 0.7, "en", false, false, "gate")
	d.Grey = true
	d.Candidates = []Candidate{{FAQID: "botox-duration", Score: 0.4}, {FAQID: "aftercare", Score: 0.3}}
	return d
}

func TestAssistChoosesOnlyAmongCandidates(t *testing.T) {
	e := clinicEngine(t)
	msg := "when do i have to come in again for more"
	cases := []struct {
		name, reply string
		intent      Intent
		faqID       string
		fallback    string
	}{
		{"a candidate", `{"id": "aftercare"}`, IntentFAQ, "aftercare", ""},
		{"none", `{"id": "none"}`, IntentUnknown, "", ""},
		{"an entry that is not a candidate", `{"id": "safety"}`, IntentUnknown, "", llm.ReasonBadChoice},
		{"an invented entry", `{"id": "free-botox"}`, IntentUnknown, "", llm.ReasonBadChoice},
		{"an intent", `{"id": "booking"}`, IntentUnknown, "", llm.ReasonBadChoice},
		{"prose", `It is probably botox-duration.`, IntentUnknown, "", llm.ReasonBadChoice},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := llmtest.NewServer(t, llmtest.Reply(tc.reply))
			d := greyUnknown(e)
			got := Refine(context.Background(), llmClient(t, srv, false, true), e, msg, d)
			if got.Intent != tc.intent || got.FAQID != tc.faqID || got.Fallback != tc.fallback {
				t.Fatalf("refined = %+v", got)
			}
			switch tc.intent {
			case IntentFAQ:
				if got.Assist != "llm" || got.Reply != e.entries[tc.faqID].Answer || got.Confidence != 0.3 {
					t.Errorf("assisted answer = %+v", got)
				}
			default:
				if got.Reply != d.Reply || got.Assist != "" {
					t.Errorf("unknown kept = %+v", got)
				}
			}
		})
	}
}

func TestAssistThenPhrasingShareOneDeadline(t *testing.T) {
	e := clinicEngine(t)
	srv := llmtest.NewServer(t, func(r llmtest.Request) llmtest.Response {
		if strings.Contains(r.System, "route") {
			return llmtest.Response{Content: `{"id": "botox-duration"}`}
		}
		return llmtest.Response{Content: "x", Delay: 10 * time.Second}
	})
	m := llm.New(llm.Config{BaseURL: srv.URL(), Model: "m", Timeout: 150 * time.Millisecond, Phrasing: true, Assist: true})
	start := time.Now()
	got := Refine(context.Background(), m, e, "when do i have to come in again for more", greyUnknown(e))
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %v with a 150ms call timeout", took)
	}
	if got.FAQID != "botox-duration" || got.Assist != "llm" || got.Phrasing != PhrasingCurated || got.Fallback != llm.ReasonTimeout ||
		got.Reply != e.entries["botox-duration"].Answer {
		t.Fatalf("refined = %+v", got)
	}
}

func TestEngineMarksTheGreyBand(t *testing.T) {
	e := clinicEngine(t)
	for _, msg := range []string{"how long does botox last", "STOP", "i cant breathe", "how much is it"} {
		if d := e.Decide(msg, Context{}); d.Grey || len(d.Candidates) > 0 {
			t.Errorf("%q: %+v is not grey", msg, d)
		}
	}
	// Whatever the matcher, a grey decision carries FAQ candidates only,
	// best first, each inside the band.
	for _, msg := range []string{"does botox help the worst migraines", "could the jaw injections make my bite feel weird at first", "tell me more about it"} {
		d := e.Decide(msg, Context{})
		if !d.Grey {
			continue
		}
		if d.Intent != IntentUnknown || len(d.Candidates) == 0 {
			t.Errorf("%q: %+v", msg, d)
		}
		for i, c := range d.Candidates {
			if e.entries[c.FAQID] == nil || c.Score < greyFloor || c.Score >= minConfidence || i > 0 && c.Score > d.Candidates[i-1].Score {
				t.Errorf("%q: candidate %+v", msg, c)
			}
		}
	}
}
