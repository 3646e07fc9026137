package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyTree copies src into a new temporary directory.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDiffShowsAPlantedRegression: the new FAQ loses the duration entry, so
// the duration question no longer gets its answer (broken); the TMJ
// question is unaffected and not listed.
func TestDiffShowsAPlantedRegression(t *testing.T) {
	old := "../../faq"
	neu := copyTree(t, old)
	if err := os.Remove(filepath.Join(neu, "botox-duration.yaml")); err != nil {
		t.Fatal(err)
	}
	cases := writeFile(t, filepath.Join(t.TempDir(), "cases.jsonl"),
		`{"text": "how long does botox last", "expect": "faq:botox-duration"}
{"text": "does botox help tmj", "expect": "faq:tmj"}
is botox permanent
`)
	code, out, errs := runCmd(t, "", "diff", old, neu, cases)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (changes); stderr %s", code, errs)
	}
	for _, want := range []string{
		`cases.jsonl:1: "how long does botox last"`,
		"faq:botox-duration -> ",
		"(expected faq:botox-duration: broken)",
		`cases.jsonl:3: "is botox permanent"`,
		"2 of 3 messages change: 1 broken, 0 fixed, 1 changed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "tmj") {
		t.Errorf("an unchanged message is listed:\n%s", out)
	}

	// The same, reversed and as JSON: the entry's return fixes it.
	code, out, _ = runCmd(t, "", "diff", "--json", neu, old, cases)
	var got struct {
		Messages, Changed int
		Verdicts          map[string]int
		Changes           []DiffChange
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != 1 {
		t.Fatalf("exit %d, %v: %s", code, err, out)
	}
	if got.Messages != 3 || got.Changed != 2 || got.Verdicts["fixed"] != 1 || got.Changes[0].To != "faq:botox-duration" {
		t.Errorf("json = %+v", got)
	}
}

func TestDiffExitCodes(t *testing.T) {
	cases := writeFile(t, filepath.Join(t.TempDir(), "cases.txt"), "how long does botox last\n")
	if code, out, _ := runCmd(t, "", "diff", "../../faq", "../../faq", cases); code != 0 || !strings.Contains(out, "0 of 1 messages change") {
		t.Errorf("same FAQ: exit %d, %q", code, out)
	}
	broken := copyTree(t, "../../faq")
	writeFile(t, filepath.Join(broken, "tmj.yaml"), "id: [oops\n")
	if code, _, errs := runCmd(t, "", "diff", "../../faq", broken, cases); code != 2 || !strings.Contains(errs, "tmj.yaml:") {
		t.Errorf("broken FAQ: exit %d, %q", code, errs)
	}
	if code, _, _ := runCmd(t, "", "diff", "../../faq"); code != 2 {
		t.Errorf("missing arguments: exit %d", code)
	}
}
