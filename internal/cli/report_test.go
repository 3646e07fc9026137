package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flsps/faqbot/internal/insight"
	"github.com/flsps/faqbot/internal/store"
)

// TestReportUnansweredGroupsASeededSet stores messages in a real SQLite
// file, a week apart from "now" given by --until, and checks the groups.
func TestReportUnansweredGroupsASeededSet(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.OpenDataDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2031, 5, 6, 15, 0, 0, 0, time.UTC)
	msgs := []struct {
		body, intent, faqID string
		conf                float64
		at                  time.Time
	}{
		{"do you accept blue cross insurance", "unknown", "", 0, at},
		{"is botox covered by my insurance plan", "unknown", "", 0, at},
		{"will my insurance pay for it, my member id is 88812", "unknown", "", 0, at},
		{"where do i park when i come in", "unknown", "", 0, at},
		{"is there parking at the office", "unknown", "", 0, at},
		{"how many weeks does the botox effect stay", "faq", "botox-duration", 0.4, at},
		{"how long does the effect stay", "unknown", "", 0, at},
		{"how long does botox last", "faq", "botox-duration", 0.93, at},           // answered: not in the report
		{"is insurance accepted", "unknown", "", 0, at.Add(-30 * 24 * time.Hour)}, // before the period
	}
	for i, m := range msgs {
		if _, err := st.RecordExchange(ctx, store.Exchange{Channel: store.ChannelSMS, Address: fmt.Sprintf("+1561555%04d", i),
			ExternalID: fmt.Sprintf("SMr%d", i), Body: m.body, Intent: m.intent, FAQID: m.faqID, Confidence: m.conf, At: m.at}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	args := []string{"report", "unanswered", "--data-dir", dir, "--faq", "../../faq", "--since", "7d", "--until", "2031-05-08"}
	code, out, errs := runCmd(t, "", args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"7 of 8, in 3 group(s)",
		"   3  insurance",
		"suggestion: add an alternate to botox-duration",
		"suggestion: new entry",
		`"will my insurance pay for it, my member id is #####"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "88812") || strings.Contains(out, "how long does botox last") || strings.Contains(out, "is insurance accepted") {
		t.Errorf("output shows what it must not:\n%s", out)
	}

	code, out, errs = runCmd(t, "", append(args, "--json")...)
	var got struct {
		Messages, Unanswered int
		Groups               []insight.Group
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != 0 {
		t.Fatalf("exit %d, %v: %s %s", code, err, out, errs)
	}
	if got.Messages != 8 || got.Unanswered != 7 || len(got.Groups) != 3 || got.Groups[0].Count != 3 {
		t.Errorf("json = %+v", got)
	}

	if code, _, errs := runCmd(t, "", "report", "unanswered", "--data-dir", dir, "--faq", "../../faq", "--since", "soon"); code != 2 || !strings.Contains(errs, "--since") {
		t.Errorf("bad --since: exit %d, %q", code, errs)
	}
	if code, _, errs := runCmd(t, "", "report", "unanswered", "--data-dir", t.TempDir(), "--faq", "../../faq"); code != 1 || !strings.Contains(errs, "no database at") {
		t.Errorf("no database: exit %d, %q", code, errs)
	}
	if code, _, _ := runCmd(t, "", "report", "everything"); code != 2 {
		t.Errorf("unknown report: exit %d", code)
	}
}
