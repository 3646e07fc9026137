package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flsps/faqbot/internal/bot"
)

// runWith runs a command with the given environment variables.
func runWith(t *testing.T, vars map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return vars[k] }}
	code := Run(context.Background(), args, env)
	return code, out.String(), errb.String()
}

func TestFAQCommandsFollowFAQBOT_FAQ_DIR(t *testing.T) {
	// The tests run in internal/cli, where ./faq does not exist: only the
	// setting can lead the commands to the FAQ.
	vars := map[string]string{"FAQBOT_FAQ_DIR": "../../faq"}
	if code, out, errs := runWith(t, vars, "", "ask", "how long does botox last"); code != 0 || !strings.HasPrefix(out, "faq:botox-duration") {
		t.Errorf("ask: exit %d %q %q", code, out, errs)
	}
	if code, out, errs := runWith(t, vars, "", "lint", "-q"); code != 0 || !strings.Contains(out, "0 error(s)") {
		t.Errorf("lint: exit %d %q %q", code, out, errs)
	}
	f := filepath.Join(t.TempDir(), "c.jsonl")
	os.WriteFile(f, []byte(`{"text": "STOP", "expect": "optout"}`+"\n"), 0o644)
	if code, out, errs := runWith(t, vars, "", "eval", f); code != 0 || !strings.Contains(out, "accuracy: 1.000 (1/1)") {
		t.Errorf("eval: exit %d %q %q", code, out, errs)
	}
	// The flag still wins over the environment.
	if code, _, errs := runWith(t, vars, "", "ask", "--faq", "/nonexistent", "hi"); code != 1 || !strings.Contains(errs, "/nonexistent") {
		t.Errorf("--faq must win: exit %d %q", code, errs)
	}
}

func TestReadOnlyCommandsDoNotCreateADatabase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nowhere", "x")
	for _, args := range [][]string{
		{"escalations"},
		{"staff", "list", "--data-dir", dir},
		{"staff", "disable", "--email", "a@example.com", "--data-dir", dir},
		{"token", "list", "--data-dir", dir},
		{"purge", "--older-than", "365d", "--data-dir", dir},
	} {
		t.Run(strings.Join(args[:min(2, len(args))], " "), func(t *testing.T) {
			code, out, errs := runWith(t, map[string]string{"FAQBOT_DATA_DIR": dir}, "", args...)
			want := "no database at " + filepath.Join(dir, "faqbot.db") + " (run faqbot serve first or set FAQBOT_DATA_DIR)"
			if code != 1 || !strings.Contains(errs, want) || out != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want %q", code, out, errs, want)
			}
			if _, err := os.Stat(filepath.Dir(dir)); !os.IsNotExist(err) {
				t.Fatalf("the command created %s", filepath.Dir(dir))
			}
		})
	}
}

func TestHelpGoesToStdoutAndExitsZero(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--help"}, "Commands:"},
		{[]string{"help"}, "Commands:"},
		{[]string{"ask", "--help"}, "-follow"},
		{[]string{"ask", "-h"}, "FAQBOT_FAQ_DIR"},
		{[]string{"eval", "--help"}, "-json"},
		{[]string{"lint", "--help"}, "-q"},
		{[]string{"serve", "--help"}, "FAQBOT_STAFF_WEBHOOK_URL"},
		{[]string{"healthcheck", "--help"}, "/healthz"},
		{[]string{"escalations", "--help"}, "-status"},
		{[]string{"purge", "--help"}, "-older-than"},
		{[]string{"staff", "--help"}, "staff add"},
		{[]string{"staff", "list", "--help"}, "-data-dir"},
		{[]string{"token", "--help"}, "token create"},
		{[]string{"token", "create", "--help"}, "-name"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errs := runWith(t, nil, "", tc.args...)
			if code != 0 || !strings.Contains(out, tc.want) || errs != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 0 and %q on stdout", code, out, errs, tc.want)
			}
		})
	}
	// Mistakes still go to stderr with exit 2.
	if code, out, errs := runWith(t, nil, "", "ask", "--nope"); code != 2 || out != "" || !strings.Contains(errs, "nope") {
		t.Fatalf("bad flag: exit %d %q %q", code, out, errs)
	}
	if code, out, _ := runWith(t, nil, ""); code != 2 || out != "" {
		t.Fatalf("no command: exit %d %q", code, out)
	}
}

func TestServeChecksSettingsBeforeTouchingAnything(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	for _, tc := range []struct{ env, value string }{
		{"FAQBOT_ADDR", ":99999"},
		{"FAQBOT_STAFF_WEBHOOK_URL", "not-a-url"},
	} {
		code, _, errs := runWith(t, map[string]string{tc.env: tc.value, "FAQBOT_DATA_DIR": data, "FAQBOT_FAQ_DIR": "../../faq"}, "", "serve")
		if code != 2 || !strings.Contains(errs, tc.env) {
			t.Errorf("%s=%s: exit %d %q; want 2 naming the variable", tc.env, tc.value, code, errs)
		}
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Fatal("a rejected configuration created the data directory")
	}
}

func TestHealthcheckFindsTheAddressServeWrote(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
		}
	}))
	defer hs.Close()
	data := t.TempDir()
	vars := map[string]string{"FAQBOT_DATA_DIR": data, "FAQBOT_ADDR": "127.0.0.1:1"} // nothing listens on port 1
	if code, _, _ := runWith(t, vars, "", "healthcheck"); code != 1 {
		t.Fatalf("nothing listening: exit %d", code)
	}
	// serve --addr wrote where it really listens.
	os.WriteFile(filepath.Join(data, AddrFile), []byte(hs.Listener.Addr().String()+"\n"), 0o600)
	if code, _, errs := runWith(t, vars, "", "healthcheck"); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	// An explicit --addr wins.
	if code, _, _ := runWith(t, vars, "", "healthcheck", "--addr", "127.0.0.1:1"); code != 1 {
		t.Fatalf("--addr must win: exit %d", code)
	}
}

func TestEvalAcceptStylesAndConversations(t *testing.T) {
	f := filepath.Join(t.TempDir(), "cases.jsonl")
	os.WriteFile(f, []byte(`{"text": "how long does botox last", "expect": "faq:botox-duration", "style": "plain"}
{"text": "does insurance cover botox", "expect": "faq:migraine", "accept": ["unknown"], "style": "plain"}
{"text": "STOP", "expect": "optin", "style": "terse"}
{"text": "what is the meaning of life", "expect": "unknown", "style": "terse"}
{"conversation": [{"text": "what happens during the procedure", "expect": "faq:procedure"}, {"text": "and does it hurt?", "expect": "faq:needle-pain"}], "style": "followup"}
`), 0o644)
	code, out, errs := runCmd(t, "", "eval", "--faq", "../../faq", f)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for _, want := range []string{"followup", "terse", "conversations: 1", "line 3:", "expected optin, got optout"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if got := lines[len(lines)-1]; got != "accuracy: 0.833 (5/6)" {
		t.Errorf("last line %q\n%s", got, out)
	}
	if got := lines[len(lines)-2]; !strings.HasPrefix(got, "answered with a wrong FAQ: 0/6") {
		t.Errorf("second-last line %q", got)
	}
	// The table's unknown row and the summary count the same cases.
	if !strings.Contains(out, "unknown cases answered with an FAQ: 0/2") {
		t.Errorf("unknown count:\n%s", out)
	}

	code, out, errs = runCmd(t, "", "eval", "--json", "--faq", "../../faq", f)
	if code != 0 {
		t.Fatalf("--json exit %d: %s", code, errs)
	}
	var j EvalJSON
	if err := json.Unmarshal([]byte(out), &j); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if j.Total != 6 || j.Correct != 5 || j.Styles["followup"].Correct != 2 || j.Styles["terse"].Total != 2 ||
		len(j.Misses) != 1 || j.Misses[0].Got != "optout" || j.Misses[0].Rule == "" || j.Labels["optout"].Pred != 1 ||
		j.Conversations != 1 || j.OutOfScope.Total != 1 {
		t.Errorf("json = %+v", j)
	}
	var raw map[string]any
	json.Unmarshal([]byte(out), &raw)
	for _, k := range []string{"accuracy", "labels", "styles", "wrong_faq_share", "misses", "in_scope", "out_of_scope"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("--json lacks %q", k)
		}
	}
}

// The second turn of a conversation is read with the context the server
// would have after the first: without it, the same text is not a follow-up.
func TestEvalConversationCarriesContext(t *testing.T) {
	f := filepath.Join(t.TempDir(), "c.jsonl")
	os.WriteFile(f, []byte(`{"conversation": [{"text": "what happens during the procedure", "expect": "faq:procedure"}, {"text": "and how long does it last?", "expect": "faq:botox-duration"}]}
{"text": "and how long does it last?", "expect": "faq:botox-duration", "last_faq_id": "procedure"}
`), 0o644)
	cases, err := ReadEvalCases(mustOpen(t, f))
	if err != nil || len(cases) != 3 || cases[1].Turn != 2 || cases[1].Conv != 1 || cases[2].Conv != 0 {
		t.Fatalf("%+v %v", cases, err)
	}
	for _, bad := range []string{
		`{"conversation": []}`,
		`{"conversation": [{"text": "hi"}]}`,
		`{"conversation": [{"text": "hi", "expect": "smalltalk"}, {"text": "x", "expect": "unknown", "last_faq_id": "tmj"}]}`,
	} {
		if _, err := ReadEvalCases(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%s: err = %v", bad, err)
		}
	}
}

func mustOpen(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// followContext keeps what the server keeps between two messages.
func TestFollowContext(t *testing.T) {
	c := bot.Context{}
	c = followContext(c, bot.Decision{Intent: bot.IntentFAQ, FAQID: "tmj", Lang: "es"})
	if c.LastFAQID != "tmj" || c.Lang != "es" {
		t.Fatalf("after an answer: %+v", c)
	}
	c = followContext(c, bot.Decision{Intent: bot.IntentSmalltalk, Lang: "en"})
	if c.LastFAQID != "tmj" || c.Lang != "en" {
		t.Fatalf("smalltalk keeps the entry, changes the language: %+v", c)
	}
	c = followContext(c, bot.Decision{Intent: bot.IntentUnknown})
	if c.LastFAQID != "tmj" || c.Lang != "en" {
		t.Fatalf("a decision without a language keeps it: %+v", c)
	}
}
