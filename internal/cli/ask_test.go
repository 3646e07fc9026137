package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/flsps/faqbot/internal/llmtest"
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

func TestAskUsesTheLLMSettings(t *testing.T) {
	rewrite := "Botox usually lasts about 3 to 6 months, and it is repeated about every 3 to 6 months."
	srv := llmtest.NewServer(t, llmtest.Reply(rewrite))
	ask := func(args ...string) map[string]any {
		t.Helper()
		var out, errb bytes.Buffer
		getenv := func(k string) string {
			return map[string]string{"FAQBOT_LLM_BASE_URL": srv.URL(), "FAQBOT_LLM_MODEL": "m", "FAQBOT_LLM_TIMEOUT": "500ms"}[k]
		}
		env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: getenv}
		if code := Run(context.Background(), append([]string{"ask", "--faq", "../../faq", "--json"}, args...), env); code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		var d map[string]any
		if err := json.Unmarshal(out.Bytes(), &d); err != nil {
			t.Fatalf("not one JSON object: %q", out.String())
		}
		return d
	}
	if d := ask("how long does botox last"); d["phrasing"] != "llm" || d["reply"] != rewrite || d["fallback"] != nil {
		t.Errorf("phrased: %v", d)
	}
	srv.SetReply(llmtest.Reply("Botox lasts 8 months."))
	if d := ask("how long does botox last"); d["phrasing"] != "curated" || d["fallback"] != "number" || d["reply"] == "Botox lasts 8 months." {
		t.Errorf("refused: %v", d)
	}
	if d := ask("--llm-phrasing", "off", "how long does botox last"); d["phrasing"] != "curated" || d["fallback"] != nil {
		t.Errorf("phrasing off by flag: %v", d)
	}
	n := srv.Calls()
	if d := ask("STOP"); d["phrasing"] != "curated" || srv.Calls() != n {
		t.Errorf("a keyword reached the model: %v", d)
	}
	// Without settings the output is as before: no phrasing field.
	if _, out, _ := runCmd(t, "", "ask", "--faq", "../../faq", "--json", "how long does botox last"); strings.Contains(out, "phrasing") {
		t.Errorf("no LLM configured, yet %s", out)
	}
}
