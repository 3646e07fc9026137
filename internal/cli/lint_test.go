package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLintClean(t *testing.T) {
	code, out, _ := runCmd(t, "", "lint", "--faq", "../../faq")
	if code != 0 || !strings.Contains(out, "0 error(s)") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if !strings.Contains(out, "segment") {
		t.Errorf("segment counts not shown:\n%s", out)
	}
}

// A broken copy of the FAQ: every problem is reported as file:line.
func TestLintBrokenCopy(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, "../../faq", dir)
	p := filepath.Join(dir, "tmj.yaml")
	b, _ := os.ReadFile(p)
	broken := strings.Replace(string(b), "id: tmj", "id: migraine\ncolour: blue", 1)
	os.WriteFile(p, []byte(broken), 0o644)
	os.WriteFile(filepath.Join(dir, "zz.yaml"), []byte("id: zz\nquestion: What is Botox?\nalternates: [what is botox]\nanswer: \"It’s a drug\"\n"), 0o644)

	code, out, _ := runCmd(t, "", "lint", "-q", "--faq", dir)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	// The id's line in the repository's file (comments above it may change).
	idLine := strings.Count(string(b[:strings.Index(string(b), "id: tmj")]), "\n") + 1
	for _, want := range []string{
		fmt.Sprintf("%s:%d: duplicate id \"migraine\"", p, idLine),
		fmt.Sprintf("%s:%d: unknown key \"colour\"", p, idLine+1),
		filepath.Join(dir, "zz.yaml") + ":4: answer (en): '’' needlessly forces UCS-2",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("lint output lacks %q:\n%s", want, out)
		}
	}
}

func TestLintCrossMatch(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, "../../faq", dir)
	os.WriteFile(filepath.Join(dir, "zz.yaml"), []byte("id: zz\nquestion: Where is the clinic?\nalternates:\n  - where is the clinic\n  - how long does botox last\nanswer: Somewhere.\n"), 0o644)
	_, out, _ := runCmd(t, "", "lint", "-q", "--faq", dir)
	if !strings.Contains(out, filepath.Join(dir, "zz.yaml")+":5: alternates.1 \"how long does botox last\" matches entry \"botox-duration\" better than its own") {
		t.Errorf("cross-match not reported:\n%s", out)
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.Walk(from, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// An alternate a blocker turns into unknown names the blocker, so the
// maintainer knows which rule to look at.
func TestLintNamesTheBlocker(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, "../../faq", dir)
	p := filepath.Join(dir, "tmj.yaml")
	b, _ := os.ReadFile(p)
	os.WriteFile(p, []byte(strings.Replace(string(b), "  - botox for tmd\n", "  - botox for tmd\n  - how much does botox for tmj cost\n", 1)), 0o644)
	_, out, _ := runCmd(t, "", "lint", "-q", "--faq", dir)
	if !strings.Contains(out, `"how much does botox for tmj cost" is answered as unknown (blocker: `) {
		t.Errorf("lint does not name the blocker:\n%s", out)
	}
}

func TestLintMissingDirectory(t *testing.T) {
	code, out, _ := runCmd(t, "", "lint", "--faq", "/nonexistent/faq")
	if code != 1 || !strings.Contains(out, "no FAQ directory at /nonexistent/faq (set FAQBOT_FAQ_DIR or --faq)") || strings.Count(out, "/nonexistent/faq") != 1 {
		t.Errorf("exit %d:\n%s", code, out)
	}
}
