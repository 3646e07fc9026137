package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEval(t *testing.T) {
	f := filepath.Join(t.TempDir(), "cases.jsonl")
	os.WriteFile(f, []byte(`{"text": "how long does botox last", "expect": "faq:botox-duration"}
{"text": "STOP", "expect": ["optout"]}
{"text": "does insurance cover botox for migraines", "expect": "faq:migraine", "note": "deliberately wrong label"}
{"text": "and does it hurt?", "expect": "faq:needle-pain", "last_faq_id": "procedure"}
`), 0o644)
	code, out, errs := runCmd(t, "", "eval", "--faq", "../../faq", f)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"accuracy: 0.750 (3/4)", "faq:migraine -> unknown", "line 3:", "precision", "answered with a wrong FAQ: 0/4", "critical labels (emergency/optout/optin/help) missed: 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if code, out, _ := runCmd(t, "", "eval", f, "--faq", "../../faq", "--min-accuracy", "0.9"); code != 1 || !strings.Contains(out, "FAIL") {
		t.Errorf("below --min-accuracy: exit %d", code)
	}
}

func TestEvalTestsFile(t *testing.T) {
	code, out, _ := runCmd(t, "", "eval", "--faq", "../../faq", "--min-accuracy", "1", "../../faq/tests.jsonl")
	if code != 0 {
		t.Errorf("faq/tests.jsonl must pass:\n%s", out)
	}
}

func TestReadEvalCasesErrors(t *testing.T) {
	if _, err := ReadEvalCases(strings.NewReader(`{"text": "x"}`)); err == nil {
		t.Error("missing expect must fail")
	}
	if _, err := ReadEvalCases(strings.NewReader("{bad")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("bad json: %v", err)
	}
}
