package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/flsps/faqbot/internal/bot"
	"github.com/flsps/faqbot/internal/faq"
)

func init() {
	register("diff", "messages whose outcome changes between two FAQ directories; exit 1 if any does", runDiff)
}

// DiffChange is one message decided differently by the two FAQ versions.
type DiffChange struct {
	File   string   `json:"file"`
	Line   int      `json:"line"`
	Text   string   `json:"text"`
	From   string   `json:"from"`             // label under OLD_DIR: faq:<id> or the intent
	To     string   `json:"to"`               // label under NEW_DIR
	Expect []string `json:"expect,omitempty"` // the case's labels, if it has any
	// Verdict is "fixed" (now as expected), "broken" (was as expected, no
	// longer) or "changed" (neither, or no expectation).
	Verdict string `json:"verdict"`
}

// diffCase is a message to compare: a JSONL eval case ("expect" optional)
// or, for a line that is not JSON, the line itself.
type diffCase struct {
	EvalCase
	file string
}

func readDiffCases(path string, r io.Reader) ([]diffCase, error) {
	var out []diffCase
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "//") || strings.HasPrefix(line, "#") {
			continue
		}
		c := diffCase{file: path}
		if strings.HasPrefix(line, "{") {
			var raw struct {
				EvalCase
				Expect json.RawMessage `json:"expect"`
			}
			if err := json.Unmarshal([]byte(line), &raw); err != nil {
				return nil, fmt.Errorf("%s:%d: %v", path, n, err)
			}
			c.EvalCase = raw.EvalCase
			var one string
			if len(raw.Expect) > 0 && json.Unmarshal(raw.Expect, &one) == nil {
				c.Expect = []string{one}
			} else if len(raw.Expect) > 0 {
				_ = json.Unmarshal(raw.Expect, &c.Expect)
			}
		} else {
			c.Text = line
		}
		c.Line = n
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return out, nil
}

// Diff decides every case with both engines and returns the cases whose
// label differs.
func Diff(old, new *bot.Engine, cases []diffCase) []DiffChange {
	var out []DiffChange
	for _, c := range cases {
		ctx := bot.Context{LastFAQID: c.LastFAQID, Lang: c.Lang}
		from, to := Label(old.Decide(c.Text, ctx)), Label(new.Decide(c.Text, ctx))
		if from == to {
			continue
		}
		ch := DiffChange{File: c.file, Line: c.Line, Text: c.Text, From: from, To: to, Expect: c.Expect, Verdict: "changed"}
		switch {
		case len(c.Expect) == 0:
		case slices.Contains(c.Expect, to):
			ch.Verdict = "fixed"
		case slices.Contains(c.Expect, from):
			ch.Verdict = "broken"
		}
		out = append(out, ch)
	}
	return out
}

func runDiff(ctx context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("diff", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	asJSON := fs.Bool("json", false, "print one JSON object: the changes and the totals")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, `Usage: faqbot diff [--json] OLD_DIR NEW_DIR CASES.jsonl...   (flags first)

Decides every message of the case files with the FAQ in OLD_DIR and in
NEW_DIR and lists those whose outcome changes (from -> to). A case is a
line of eval's JSONL ({"text": ..., "expect": ...}, expect optional) or a
plain line of text. A change is "fixed" when the new outcome is the
expected one, "broken" when the old one was, else "changed".
Exit status: 0 nothing changed, 1 something changed, 2 bad usage or a FAQ
that does not load.`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	pos := fs.Args()
	if len(pos) < 3 {
		fs.Usage()
		return 2
	}
	engines := make([]*bot.Engine, 2)
	for i, dir := range pos[:2] {
		set, err := faq.Load(dir)
		if err != nil {
			fmt.Fprintf(env.Stderr, "faqbot diff: FAQ in %s does not load:\n%v\n", dir, err)
			return 2
		}
		engines[i] = bot.NewEngine(set)
	}
	var cases []diffCase
	for _, path := range pos[2:] {
		f, err := os.Open(path)
		if err != nil {
			fmt.Fprintln(env.Stderr, "faqbot diff:", err)
			return 2
		}
		cs, err := readDiffCases(path, f)
		f.Close()
		if err != nil {
			fmt.Fprintln(env.Stderr, "faqbot diff:", err)
			return 2
		}
		cases = append(cases, cs...)
	}
	changes := Diff(engines[0], engines[1], cases)
	tally := map[string]int{}
	for _, c := range changes {
		tally[c.Verdict]++
	}
	if *asJSON {
		out := struct {
			Messages int            `json:"messages"`
			Changed  int            `json:"changed"`
			Verdicts map[string]int `json:"verdicts"`
			Changes  []DiffChange   `json:"changes"`
		}{len(cases), len(changes), tally, changes}
		if out.Changes == nil {
			out.Changes = []DiffChange{}
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(out)
	} else {
		for _, c := range changes {
			fmt.Fprintf(env.Stdout, "%s:%d: %q\n    %s -> %s", c.File, c.Line, c.Text, c.From, c.To)
			if len(c.Expect) > 0 {
				fmt.Fprintf(env.Stdout, "  (expected %s: %s)", strings.Join(c.Expect, " or "), c.Verdict)
			}
			fmt.Fprintln(env.Stdout)
		}
		fmt.Fprintf(env.Stdout, "%d of %d messages change: %d broken, %d fixed, %d changed\n",
			len(changes), len(cases), tally["broken"], tally["fixed"], tally["changed"])
	}
	if len(changes) > 0 {
		return 1
	}
	return 0
}
