package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/flsps/faqbot/internal/bot"
)

func init() {
	register("eval", "score the engine on labelled messages (JSONL); exit 1 below --min-accuracy", runEval)
}

// EvalCase is one labelled message (format of shared/eval/README.md).
// LastFAQID and Lang are optional conversation context for follow-ups.
type EvalCase struct {
	Text      string   `json:"text"`
	Expect    []string `json:"-"`
	Note      string   `json:"note"`
	LastFAQID string   `json:"last_faq_id"`
	Lang      string   `json:"lang"`
	Line      int      `json:"-"`
}

// ReadEvalCases parses a JSONL file; "expect" is a label or a list.
func ReadEvalCases(r io.Reader) ([]EvalCase, error) {
	var out []EvalCase
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "//") || strings.HasPrefix(line, "#") {
			continue
		}
		var raw struct {
			EvalCase
			Expect json.RawMessage `json:"expect"`
		}
		if err := json.Unmarshal([]byte(line), &raw); err != nil {
			return nil, fmt.Errorf("line %d: %v", n, err)
		}
		c := raw.EvalCase
		c.Line = n
		var one string
		if err := json.Unmarshal(raw.Expect, &one); err == nil {
			c.Expect = []string{one}
		} else if err := json.Unmarshal(raw.Expect, &c.Expect); err != nil || len(c.Expect) == 0 {
			return nil, fmt.Errorf("line %d: expect must be a label or a non-empty list of labels", n)
		}
		out = append(out, c)
	}
	return out, sc.Err()
}

// Label is a decision as an eval label: "faq:<id>" or the intent.
func Label(d bot.Decision) string {
	if d.Intent == bot.IntentFAQ {
		return "faq:" + d.FAQID
	}
	return string(d.Intent)
}

// EvalReport is the outcome of an eval run.
type EvalReport struct {
	Total, Correct int
	Misses         []EvalMiss
	// WrongFAQ counts messages answered with an FAQ entry that was not
	// acceptable; UnknownCases/UnknownToFAQ are the cases that must be
	// unknown and those of them answered with an FAQ.
	WrongFAQ, UnknownCases, UnknownToFAQ int
	CriticalMisses                       int // emergency, optout, optin, help
	tp, pred, gold                       map[string]int
	pairs                                map[[2]string]int
}

// EvalMiss is one case the engine got wrong.
type EvalMiss struct {
	Case EvalCase
	Got  bot.Decision
}

// Evaluate runs every case through the engine (each with only its own
// context: cases are independent).
func Evaluate(e *bot.Engine, cases []EvalCase) *EvalReport {
	r := &EvalReport{tp: map[string]int{}, pred: map[string]int{}, gold: map[string]int{}, pairs: map[[2]string]int{}}
	for _, c := range cases {
		d := e.Decide(c.Text, bot.Context{LastFAQID: c.LastFAQID, Lang: c.Lang})
		got := Label(d)
		ok := false
		for _, x := range c.Expect {
			if x == got {
				ok = true
			}
		}
		gold := c.Expect[0]
		if ok {
			gold = got
		}
		r.Total++
		r.pred[got]++
		r.gold[gold]++
		mustUnknown := len(c.Expect) == 1 && c.Expect[0] == "unknown"
		if mustUnknown {
			r.UnknownCases++
		}
		if ok {
			r.Correct++
			r.tp[got]++
			continue
		}
		r.Misses = append(r.Misses, EvalMiss{Case: c, Got: d})
		r.pairs[[2]string{gold, got}]++
		if d.Intent == bot.IntentFAQ {
			r.WrongFAQ++
			if mustUnknown {
				r.UnknownToFAQ++
			}
		}
		for _, x := range append(c.Expect, got) {
			switch x {
			case "emergency", "optout", "optin", "help":
				r.CriticalMisses++
			}
		}
	}
	return r
}

// Accuracy is the share of cases answered acceptably.
func (r *EvalReport) Accuracy() float64 {
	if r.Total == 0 {
		return 0
	}
	return float64(r.Correct) / float64(r.Total)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Print writes the report; the summary comes last (CI shows the tail).
func (r *EvalReport) Print(w io.Writer) {
	labels := map[string]bool{}
	for l := range r.pred {
		labels[l] = true
	}
	for l := range r.gold {
		labels[l] = true
	}
	names := make([]string, 0, len(labels))
	for l := range labels {
		names = append(names, l)
	}
	sort.Strings(names)
	fmt.Fprintf(w, "%-28s %9s %9s %6s %6s\n", "label", "precision", "recall", "gold", "pred")
	for _, l := range names {
		fmt.Fprintf(w, "%-28s %9.2f %9.2f %6d %6d\n", l, ratio(r.tp[l], r.pred[l]), ratio(r.tp[l], r.gold[l]), r.gold[l], r.pred[l])
	}
	if len(r.pairs) > 0 {
		type pair struct {
			k [2]string
			n int
		}
		var ps []pair
		for k, n := range r.pairs {
			ps = append(ps, pair{k, n})
		}
		sort.Slice(ps, func(i, j int) bool {
			if ps[i].n != ps[j].n {
				return ps[i].n > ps[j].n
			}
			return ps[i].k[0]+ps[i].k[1] < ps[j].k[0]+ps[j].k[1]
		})
		fmt.Fprintln(w, "\nconfusions (expected -> got):")
		for _, p := range ps {
			fmt.Fprintf(w, "  %3d  %s -> %s\n", p.n, p.k[0], p.k[1])
		}
	}
	if len(r.Misses) > 0 {
		fmt.Fprintln(w, "\nmisses:")
		for _, m := range r.Misses {
			fmt.Fprintf(w, "  line %d: %q\n      expected %s, got %s (%.2f)\n", m.Case.Line, m.Case.Text, strings.Join(m.Case.Expect, " or "), Label(m.Got), m.Got.Confidence)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "critical labels (emergency/optout/optin/help) missed: %d\n", r.CriticalMisses)
	fmt.Fprintf(w, "unknown cases answered with an FAQ: %d/%d (%.1f%%)\n", r.UnknownToFAQ, r.UnknownCases, 100*ratio(r.UnknownToFAQ, r.UnknownCases))
	fmt.Fprintf(w, "answered with a wrong FAQ: %d/%d (%.1f%%)\n", r.WrongFAQ, r.Total, 100*ratio(r.WrongFAQ, r.Total))
	fmt.Fprintf(w, "accuracy: %.3f (%d/%d)\n", r.Accuracy(), r.Correct, r.Total)
}

func runEval(ctx context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	dir := fs.String("faq", "./faq", "FAQ directory")
	minAcc := fs.Float64("min-accuracy", 0, "exit 1 if accuracy is below this (0..1)")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: faqbot eval [--faq DIR] [--min-accuracy X] FILE.jsonl")
		fs.PrintDefaults()
	}
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fs.Usage()
		return 2
	}
	f, err := os.Open(pos[0])
	if err != nil {
		fmt.Fprintf(env.Stderr, "faqbot: %v\n", err)
		return 1
	}
	defer f.Close()
	cases, err := ReadEvalCases(f)
	if err != nil {
		fmt.Fprintf(env.Stderr, "faqbot: %s: %v\n", pos[0], err)
		return 1
	}
	e, ok := loadEngine(env, *dir)
	if !ok {
		return 1
	}
	r := Evaluate(e, cases)
	r.Print(env.Stdout)
	if r.Accuracy() < *minAcc {
		fmt.Fprintf(env.Stdout, "FAIL: accuracy %.3f is below --min-accuracy %.3f\n", r.Accuracy(), *minAcc)
		return 1
	}
	return 0
}
