package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func runCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	code := Run(context.Background(), args, env)
	return code, out.String(), errb.String()
}

func TestAskJSON(t *testing.T) {
	code, out, errs := runCmd(t, "", "ask", "--faq", "../../faq", "--json", "how long does botox last")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("not one JSON object: %q", out)
	}
	if d["intent"] != "faq" || d["faq_id"] != "botox-duration" || d["lang"] != "en" || d["reply"] == "" {
		t.Errorf("decision = %v", d)
	}
	if c, ok := d["confidence"].(float64); !ok || c <= 0 || c > 1 {
		t.Errorf("confidence = %v", d["confidence"])
	}
}

func TestAskFlagAfterText(t *testing.T) {
	code, out, _ := runCmd(t, "", "ask", "STOP", "--json", "--faq", "../../faq")
	if code != 0 || !strings.Contains(out, `"intent":"optout"`) || !strings.Contains(out, `"faq_id":""`) {
		t.Errorf("exit %d, %q", code, out)
	}
}

func TestAskStdin(t *testing.T) {
	code, out, _ := runCmd(t, "hi\ndoes it hurt\n\nSTOP\n", "ask", "--faq", "../../faq")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if code != 0 || len(lines) != 4 {
		t.Fatalf("exit %d, %d lines: %q", code, len(lines), out)
	}
	for i, want := range []string{"smalltalk", "faq:needle-pain", "smalltalk", "optout"} {
		if !strings.HasPrefix(lines[i], want+"\t") {
			t.Errorf("line %d = %q, want %s", i, lines[i], want)
		}
	}
}

func TestAskBadDir(t *testing.T) {
	if code, _, errs := runCmd(t, "", "ask", "--faq", t.TempDir()+"/none", "hi"); code == 0 || errs == "" {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}
