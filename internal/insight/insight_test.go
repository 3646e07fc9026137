package insight

import (
	"context"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flsps/faqbot/internal/faq"
	"github.com/flsps/faqbot/internal/store"
)

func faqSet(t *testing.T) *faq.Set {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	set, err := faq.Load(filepath.Join(filepath.Dir(file), "..", "..", "faq"))
	if err != nil {
		t.Fatal(err)
	}
	return set
}

var t0 = time.Date(2031, 5, 6, 14, 0, 0, 0, time.UTC)

func unknown(body string) store.Decision {
	return store.Decision{Body: body, Intent: "unknown", At: t0}
}

// seeded is a set of messages the FAQ cannot answer, written for this test:
// three about insurance, three about parking, three low-confidence
// answers about how long the effect stays, one with no content words, and
// answered messages that must stay out of the report.
func seeded() []store.Decision {
	return []store.Decision{
		unknown("do you accept blue cross insurance"),
		unknown("parking? where do i park when i come in"),
		{Body: "how many weeks does the botox effect stay", Intent: "faq", FAQID: "botox-duration", Confidence: 0.4, At: t0},
		unknown("is botox covered by my insurance plan"),
		unknown("is there parking at the office, call me at 561-555-0142"),
		{Body: "how long does the effect stay", Intent: "faq", FAQID: "botox-duration", Confidence: 0.5, At: t0},
		unknown("will my insurance pay for it"),
		unknown("is parking free for patients"),
		unknown("the effect of botox, how many weeks does it stay"),
		unknown("???"),
		{Body: "how long does botox last", Intent: "faq", FAQID: "botox-duration", Confidence: 0.93, At: t0},
		{Body: "i need to book", Intent: "booking", Confidence: 0.9, At: t0},
	}
}

func TestUnansweredGroups(t *testing.T) {
	groups := Unanswered(seeded(), faqSet(t), DefaultLowConfidence)
	find := func(term string) *Group {
		for i := range groups {
			if slices.Contains(groups[i].Terms, term) {
				return &groups[i]
			}
		}
		t.Fatalf("no group with the term %q: %+v", term, groups)
		return nil
	}
	total := 0
	for _, g := range groups {
		total += g.Count
	}
	if total != 10 || len(groups) != 4 {
		t.Fatalf("%d messages in %d groups, want 10 in 4: %+v", total, len(groups), groups)
	}
	ins, park, eff := find("insurance"), find("parking"), find("effect")
	if ins.Count != 3 || ins.Suggestion != SuggestNewEntry {
		t.Errorf("insurance group: %+v", ins)
	}
	if park.Count != 3 || park.Suggestion != SuggestNewEntry {
		t.Errorf("parking group: %+v", park)
	}
	if eff.Count != 3 || eff.Suggestion != SuggestAlternate || eff.Nearest != "botox-duration" {
		t.Errorf("effect group: %+v", eff)
	}
	if !slices.Equal(eff.Intents, []string{"faq:botox-duration", "unknown"}) {
		t.Errorf("effect group intents: %v", eff.Intents)
	}
	for _, g := range groups {
		for _, ex := range g.Examples {
			if strings.ContainsAny(ex, "0123456789") {
				t.Errorf("example shows digits: %q", ex)
			}
		}
	}
	if !slices.Contains(park.Examples, "is there parking at the office, call me at ###-###-####") {
		t.Errorf("parking examples: %q", park.Examples)
	}
}

func TestMask(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"call 561 555 0142", "call ### ### ####"},
		{"mail me: jo.doe@example.com\nthanks", "mail me: [email] thanks"},
		{"no digits", "no digits"},
	} {
		if got := Mask(c.in); got != c.want {
			t.Errorf("Mask(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

type fakeSource struct {
	ds []store.Decision
	es []store.EscalationStat
}

func (f fakeSource) Decisions(context.Context, time.Time, time.Time) ([]store.Decision, error) {
	return f.ds, nil
}

func (f fakeSource) EscalationStats(context.Context, time.Time, time.Time) ([]store.EscalationStat, error) {
	return f.es, nil
}

func TestBuildCountsDaysEscalationsAndReplies(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	// 02:00 UTC on the 7th is still the 6th in New York.
	late := t0.Add(12 * time.Hour)
	reply := func(d time.Duration) *time.Time { v := t0.Add(d); return &v }
	src := fakeSource{
		ds: []store.Decision{
			{Intent: "faq", FAQID: "tmj", Confidence: 0.9, FAQVersion: "v1", At: t0},
			{Intent: "faq", FAQID: "tmj", Confidence: 0.9, FAQVersion: "v2", At: late},
			{Intent: "faq", FAQID: "migraine", Confidence: 0.9, FAQVersion: "v2", At: late},
			{Intent: "booking", Body: "book me", At: t0.Add(48 * time.Hour)},
		},
		es: []store.EscalationStat{
			{Kind: "booking", Status: store.EscResolved, Outcome: store.OutcomeBooked, CreatedAt: t0, FirstStaffReply: reply(10 * time.Minute)},
			{Kind: "booking", Status: store.EscOpen, CreatedAt: t0, FirstStaffReply: reply(30 * time.Minute)},
			{Kind: "unknown", Status: store.EscOpen, CreatedAt: t0},
		},
	}
	r, err := Build(context.Background(), src, faqSet(t), ny, t0.Add(-24*time.Hour), t0.Add(72*time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Messages != 4 || r.Answered != 3 || r.ShareAnswered != 0.75 {
		t.Errorf("messages %d answered %d share %v", r.Messages, r.Answered, r.ShareAnswered)
	}
	if len(r.Days) != 5 || r.Days[1].Date != "2031-05-06" || r.Days[1].Messages != 3 || r.Days[1].Answered != 3 || r.Days[3].Messages != 1 {
		t.Errorf("days = %+v", r.Days)
	}
	if len(r.TopEntries) != 2 || r.TopEntries[0] != (Count{"tmj", 2}) {
		t.Errorf("top entries = %+v", r.TopEntries)
	}
	if len(r.FAQVersions) != 2 || r.FAQVersions[0] != (Count{"v2", 2}) {
		t.Errorf("versions = %+v", r.FAQVersions)
	}
	if len(r.Escalations) != 2 || r.Escalations[0].Kind != "booking" || r.Escalations[0].Total != 2 ||
		!slices.Equal(r.Escalations[0].Outcomes, []Count{{"booked", 1}, {"open", 1}}) {
		t.Errorf("escalations = %+v", r.Escalations)
	}
	if r.FirstReply.Replied != 2 || r.FirstReply.Waiting != 1 || r.FirstReply.Median() != 10*time.Minute || r.FirstReply.P90() != 30*time.Minute {
		t.Errorf("first reply = %+v", r.FirstReply)
	}
}
