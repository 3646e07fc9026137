package faq

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func write(t *testing.T, dir, name, body string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestMinimalDocumentLoads(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", "id: hours\nquestion: When are you open?\nalternates: [opening hours, what time do you open]\nanswer: Nine to five.\n")
	write(t, dir, "b.json", `{"id": "parking", "question": "Where do I park?", "alternates": ["is there parking"], "answer": "Behind the building."}`)
	set, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Entries) != 2 || set.Entry("parking") == nil || set.Entry("hours").Alternates[1] != "what time do you open" {
		t.Fatalf("entries = %+v", set.Entries)
	}
	if len(set.Intents) != 0 {
		t.Errorf("no intents dir, got intents %v", set.Intents)
	}
	if set.Clinic.DisplayName() != "the clinic" || set.Clinic.ShortName() != "the clinic" {
		t.Errorf("default clinic = %+v", set.Clinic)
	}
	if len(set.Warnings) == 0 || !strings.Contains(set.Warnings[0].String(), "Spanish") {
		t.Errorf("want a warning about the missing Spanish answer, got %v", set.Warnings)
	}
	if set.Version == "" {
		t.Error("no version")
	}
	for _, p := range Lint(dir) {
		if p.Severity == Error {
			t.Errorf("minimal doc: lint error %s", p)
		}
	}
}

func TestLoadErrorsHaveLines(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", "id: one\nquestion: q\nanswer: a\n")
	write(t, dir, "b.yaml", "# comment\nid: one\nquestion: q2\nanswr: typo\nanswer: \"\"\n")
	_, err := Load(dir)
	if err == nil {
		t.Fatal("want an error")
	}
	msg := err.Error()
	if !strings.Contains(msg, filepath.Join(dir, "b.yaml")+":2: duplicate id \"one\"") {
		t.Errorf("error lacks duplicate id with line: %s", msg)
	}
	var unknown bool
	for _, p := range Lint(dir) {
		if p.Line == 4 && strings.Contains(p.Message, `unknown key "answr"`) {
			unknown = true
		}
	}
	if !unknown {
		t.Errorf("lint lacks the unknown key on line 4: %v", Lint(dir))
	}
}

func TestLintBudgets(t *testing.T) {
	dir := t.TempDir()
	long := strings.Repeat("más ", 60)
	write(t, dir, "a.yaml", "id: a\nquestion: q\nalternates: [x]\nanswer: \"It’s fine – really…\"\nes:\n  question: p\n  answer: "+long+"\n")
	probs := Lint(dir)
	var curly, dash, over, info bool
	for _, p := range probs {
		s := p.String()
		switch {
		case p.Line == 4 && strings.Contains(s, "'’' needlessly forces UCS-2"):
			curly = true
		case p.Line == 4 && strings.Contains(s, "'–' needlessly"):
			dash = true
		case p.Line == 7 && strings.Contains(s, "over the 3-segment budget"):
			over = true
		}
		if p.Severity == Info && strings.Contains(s, "segment") {
			info = true
		}
	}
	if !curly || !dash || !over || !info {
		t.Errorf("curly=%v dash=%v over=%v info=%v in %v", curly, dash, over, info, probs)
	}
}

func TestMeasureSMS(t *testing.T) {
	cases := []struct {
		in   string
		enc  Encoding
		segs int
	}{
		{"hello", GSM7, 1},
		{strings.Repeat("a", 160), GSM7, 1},
		{strings.Repeat("a", 161), GSM7, 2},
		{strings.Repeat("a", 306), GSM7, 2},
		{strings.Repeat("a", 307), GSM7, 3},
		{strings.Repeat("€", 80), GSM7, 1}, // two septets each
		{"¿Qué tal?", GSM7, 1},
		{"¿Cómo está?", UCS2, 1},
		{strings.Repeat("á", 201), UCS2, 3},
		{strings.Repeat("á", 202), UCS2, 4},
	}
	for _, c := range cases {
		got := MeasureSMS(c.in)
		if got.Encoding != c.enc || got.Segments != c.segs {
			t.Errorf("MeasureSMS(%.20q) = %s/%d, want %s/%d", c.in, got.Encoding, got.Segments, c.enc, c.segs)
		}
	}
}

func TestClinicHours(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", "id: a\nquestion: q\nanswer: a\n")
	write(t, dir, "clinic.yaml", "name: Test Clinic\nshort_name: TC\ntime_zone: America/New_York\nhours:\n  mon: \"08:00-17:00\"\n  sat: closed\nstaff:\n  - {name: A, role: desk, phone: \"+15555550100\", email: a@example.com}\n")
	set, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	ny, _ := time.LoadLocation("America/New_York")
	c := set.Clinic
	if c.ShortName() != "TC" || len(c.Staff) != 1 || c.Staff[0].Phone != "+15555550100" {
		t.Errorf("clinic = %+v", c)
	}
	if !c.IsOpen(time.Date(2026, 3, 2, 9, 0, 0, 0, ny)) { // a Monday
		t.Error("Monday 9:00 should be open")
	}
	if c.IsOpen(time.Date(2026, 3, 2, 17, 0, 0, 0, ny)) || c.IsOpen(time.Date(2026, 3, 7, 10, 0, 0, 0, ny)) {
		t.Error("Monday 17:00 and Saturday should be closed")
	}
}

func TestRealFAQ(t *testing.T) {
	set, err := Load("../../faq")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"what-is-botox", "botox-duration", "aftercare", "migraine", "tmj", "pain-relief", "procedure", "needle-pain", "safety", "cosmetic", "consultation", "hormone-therapy"}
	for _, id := range want {
		e := set.Entry(id)
		if e == nil || e.Answer == "" || e.ES.Answer == "" {
			t.Errorf("entry %s missing or without en+es answers", id)
		}
	}
	for _, p := range Lint("../../faq") {
		if p.Severity == Error {
			t.Errorf("lint: %s", p)
		}
	}
}

func lintMessages(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	for _, p := range Lint(dir) {
		if p.Severity != Info {
			b.WriteString(p.String() + "\n")
		}
	}
	return b.String()
}

func TestNonUTF8FileNamesTheLine(t *testing.T) {
	dir := t.TempDir()
	// Latin-1: "¿Qué?" with é as the single byte 0xE9.
	write(t, dir, "x.yaml", "id: x\nquestion: What?\nalternates: [what]\nanswer: Yes.\nes:\n  question: \xbfQu\xe9?\n  answer: S\xed.\n")
	_, err := Load(dir)
	want := filepath.Join(dir, "x.yaml") + ":6: not UTF-8 text; save it as UTF-8"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
}

func TestYAMLErrorsPointAtTheTroubleLine(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		line       int
	}{
		{"unclosed quote in a list", "id: x\nquestion: q\nalternates:\n  - a\n  - b\n  - c\n  - d\n  - e\n  - \"f\n  - g\nanswer: y\n", 9},
		{"unclosed quote in the last item", "id: x\nquestion: q\nalternates:\n  - a\n  - b\n  - c\n  - d\n  - e\n  - f\n  - 'g\nanswer: y\ntags: [t]\n", 10},
		{"unclosed bracket", "id: x\nquestion: q\nalternates: [a, b\nanswer: y\ntags: [c]\n", 3},
		{"tab", "id: x\n\tanswer: y\n", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "x.yaml", tc.body)
			_, err := Load(dir)
			prefix := filepath.Join(dir, "x.yaml") + ":" + strconv.Itoa(tc.line) + ": "
			if err == nil || !strings.HasPrefix(err.Error(), prefix) {
				t.Fatalf("err = %v, want it at %s", err, prefix)
			}
		})
	}
}

func TestFileNamedOtherThanItsIDIsAWarning(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "hours.yaml", "id: opening-hours\nquestion: When are you open?\nalternates: [opening hours]\nanswer: Nine to five.\n")
	write(t, dir, "list.yaml", "- id: a\n  question: A?\n  alternates: [a]\n  answer: A.\n- id: b\n  question: B?\n  alternates: [b]\n  answer: B.\n")
	out := lintMessages(t, dir)
	if !strings.Contains(out, "hours.yaml:1: warning: the file name differs from the id \"opening-hours\": rename the file opening-hours.yaml") {
		t.Errorf("lint:\n%s", out)
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "list.yaml") && strings.Contains(l, "file name") {
			t.Errorf("a file of several entries cannot be named after each: %s", l)
		}
	}
}
