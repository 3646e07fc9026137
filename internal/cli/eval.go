package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/flsps/faqbot/internal/bot"
	"github.com/flsps/faqbot/internal/config"
)

func init() {
	register("eval", "score the engine on labelled messages and conversations (JSONL); exit 1 below --min-accuracy", runEval)
}

// EvalCase is one labelled message (format of shared/eval/README.md and
// faq/README.md). LastFAQID and Lang are optional conversation context for
// follow-ups; in a conversation each turn after the first gets them from
// the turns before it, as the server would.
type EvalCase struct {
	Text string `json:"text"`
	// Expect and Accept together are the acceptable labels; Expect[0] is
	// the one a miss is counted against.
	Expect    []string `json:"-"`
	Accept    []string `json:"accept"`
	Style     string   `json:"style"`
	Note      string   `json:"note"`
	LastFAQID string   `json:"last_faq_id"`
	Lang      string   `json:"lang"`
	Line      int      `json:"-"`
	// Conv numbers the case's conversation (1, 2... in file order; 0 for a
	// single message) and Turn its place in it (1, 2...).
	Conv, Turn int `json:"-"`
}

// acceptable reports whether label is one of the case's labels.
func (c EvalCase) acceptable(label string) bool {
	for _, x := range c.Expect {
		if x == label {
			return true
		}
	}
	for _, x := range c.Accept {
		if x == label {
			return true
		}
	}
	return false
}

// scope is "in" when unknown is not acceptable, "out" when only unknown
// is, and "" when both an answer and unknown are (neither count).
func (c EvalCase) scope() string {
	unknown, other := false, false
	for _, x := range append(append([]string(nil), c.Expect...), c.Accept...) {
		if x == "unknown" {
			unknown = true
		} else {
			other = true
		}
	}
	switch {
	case unknown && !other:
		return "out"
	case !unknown:
		return "in"
	}
	return ""
}

// evalLine is one line of the file: a message, or a conversation.
type evalLine struct {
	EvalCase
	Expect       json.RawMessage `json:"expect"`
	Conversation []evalLine      `json:"conversation"`
}

// ReadEvalCases parses a JSONL file; "expect" is a label or a list. A line
// {"conversation": [turn, ...]} is a thread of messages from one patient,
// each turn a message with its own "expect"; the line's "style", "lang" and
// "last_faq_id" apply to its turns.
func ReadEvalCases(r io.Reader) ([]EvalCase, error) {
	var out []EvalCase
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	n, convs := 0, 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "//") || strings.HasPrefix(line, "#") {
			continue
		}
		var raw evalLine
		if err := json.Unmarshal([]byte(line), &raw); err != nil {
			return nil, fmt.Errorf("line %d: %v", n, err)
		}
		if raw.Conversation == nil {
			c, err := raw.evalCase()
			if err != nil {
				return nil, fmt.Errorf("line %d: %v", n, err)
			}
			c.Line = n
			out = append(out, c)
			continue
		}
		if len(raw.Conversation) == 0 {
			return nil, fmt.Errorf("line %d: a conversation needs at least one turn", n)
		}
		convs++
		for i, turn := range raw.Conversation {
			c, err := turn.evalCase()
			if err != nil {
				return nil, fmt.Errorf("line %d, turn %d: %v", n, i+1, err)
			}
			if c.Style == "" {
				c.Style = raw.Style
			}
			if i == 0 {
				c.LastFAQID, c.Lang = raw.LastFAQID, raw.Lang
			} else if c.LastFAQID != "" || c.Lang != "" {
				return nil, fmt.Errorf("line %d, turn %d: only the first turn's context is given (on the conversation); later turns get it from the turns before", n, i+1)
			}
			c.Line, c.Conv, c.Turn = n, convs, i+1
			out = append(out, c)
		}
	}
	return out, sc.Err()
}

func (l evalLine) evalCase() (EvalCase, error) {
	c := l.EvalCase
	if l.Conversation != nil {
		return c, fmt.Errorf("a conversation cannot hold another")
	}
	if strings.TrimSpace(c.Text) == "" {
		return c, fmt.Errorf(`"text" is missing or empty`)
	}
	var one string
	if err := json.Unmarshal(l.Expect, &one); err == nil && one != "" {
		c.Expect = []string{one}
	} else if err := json.Unmarshal(l.Expect, &c.Expect); err != nil || len(c.Expect) == 0 {
		return c, fmt.Errorf(`"expect" must be a label or a non-empty list of labels`)
	}
	return c, nil
}

// Label is a decision as an eval label: "faq:<id>" or the intent.
func Label(d bot.Decision) string {
	if d.Intent == bot.IntentFAQ {
		return "faq:" + d.FAQID
	}
	return string(d.Intent)
}

// followContext is the context the next message of a conversation gets
// after decision d, as the server keeps it (bot.Service and the store): the
// language follows every decision that has one, the last FAQ entry only
// changes when one is answered.
func followContext(c bot.Context, d bot.Decision) bot.Context {
	if d.Lang != "" {
		c.Lang = d.Lang
	}
	if d.Intent == bot.IntentFAQ {
		c.LastFAQID = d.FAQID
	}
	return c
}

// EvalReport is the outcome of an eval run.
type EvalReport struct {
	Total, Correct int
	Misses         []EvalMiss
	// WrongFAQ counts messages answered with an FAQ entry that was not
	// acceptable. UnknownCases are the cases whose label is unknown (as the
	// table counts them) and UnknownToFAQ those answered with an FAQ.
	WrongFAQ, UnknownCases, UnknownToFAQ int
	CriticalMisses                       int // emergency, optout, optin, help
	// InScope are cases where unknown is not acceptable, OutOfScope those
	// where only unknown is (CLINC150's "oos"); [0] correct, [1] total.
	InScope, OutOfScope [2]int
	Conversations       int
	styles              map[string]*[2]int // correct, total
	tp, pred, gold      map[string]int
	pairs               map[[2]string]int
}

// EvalMiss is one case the engine got wrong.
type EvalMiss struct {
	Case EvalCase
	Got  bot.Decision
}

// Evaluate runs every case through the engine. A single message has only
// its own context; a conversation's turns carry the context forward.
func Evaluate(e *bot.Engine, cases []EvalCase) *EvalReport {
	r := &EvalReport{tp: map[string]int{}, pred: map[string]int{}, gold: map[string]int{},
		pairs: map[[2]string]int{}, styles: map[string]*[2]int{}}
	var ctx bot.Context
	for _, c := range cases {
		if c.Turn <= 1 {
			ctx = bot.Context{LastFAQID: c.LastFAQID, Lang: c.Lang}
		}
		if c.Turn == 1 {
			r.Conversations++
		}
		d := e.Decide(c.Text, ctx)
		if c.Conv > 0 {
			ctx = followContext(ctx, d)
		}
		r.add(c, d)
	}
	return r
}

func (r *EvalReport) add(c EvalCase, d bot.Decision) {
	got := Label(d)
	ok := c.acceptable(got)
	gold := c.Expect[0]
	if ok {
		gold = got
	}
	r.Total++
	r.pred[got]++
	r.gold[gold]++
	st := r.styles[c.Style]
	if st == nil {
		st = new([2]int)
		r.styles[c.Style] = st
	}
	st[1]++
	scope := c.scope()
	switch scope {
	case "in":
		r.InScope[1]++
	case "out":
		r.OutOfScope[1]++
	}
	if gold == "unknown" {
		r.UnknownCases++
	}
	if ok {
		r.Correct++
		r.tp[got]++
		st[0]++
		switch scope {
		case "in":
			r.InScope[0]++
		case "out":
			r.OutOfScope[0]++
		}
		return
	}
	r.Misses = append(r.Misses, EvalMiss{Case: c, Got: d})
	r.pairs[[2]string{gold, got}]++
	if d.Intent == bot.IntentFAQ {
		r.WrongFAQ++
		if gold == "unknown" {
			r.UnknownToFAQ++
		}
	}
	for _, x := range append(append([]string(nil), c.Expect...), got) {
		switch x {
		case "emergency", "optout", "optin", "help":
			r.CriticalMisses++
		}
	}
}

// Accuracy is the share of cases answered acceptably.
func (r *EvalReport) Accuracy() float64 { return ratio(r.Correct, r.Total) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func (r *EvalReport) labels() []string {
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
	return names
}

func (r *EvalReport) styleNames() []string {
	names := make([]string, 0, len(r.styles))
	for s := range r.styles {
		names = append(names, s)
	}
	sort.Strings(names)
	return names
}

// Print writes the report; the summary comes last, and its last two lines
// are the wrong-FAQ share and the accuracy (CI and hooks read the tail).
func (r *EvalReport) Print(w io.Writer) {
	fmt.Fprintf(w, "%-28s %9s %9s %6s %6s\n", "label", "precision", "recall", "gold", "pred")
	for _, l := range r.labels() {
		fmt.Fprintf(w, "%-28s %9.2f %9.2f %6d %6d\n", l, ratio(r.tp[l], r.pred[l]), ratio(r.tp[l], r.gold[l]), r.gold[l], r.pred[l])
	}
	if len(r.styles) > 1 || r.styles[""] == nil {
		fmt.Fprintf(w, "\n%-28s %9s %6s\n", "style", "accuracy", "cases")
		for _, s := range r.styleNames() {
			name := s
			if name == "" {
				name = "(none)"
			}
			fmt.Fprintf(w, "%-28s %9.2f %6d\n", name, ratio(r.styles[s][0], r.styles[s][1]), r.styles[s][1])
		}
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
			where := fmt.Sprintf("line %d", m.Case.Line)
			if m.Case.Conv > 0 {
				where += fmt.Sprintf(", turn %d", m.Case.Turn)
			}
			fmt.Fprintf(w, "  %s: %q\n      expected %s, got %s (%.2f)\n", where, m.Case.Text, strings.Join(acceptableLabels(m.Case), " or "), Label(m.Got), m.Got.Confidence)
		}
	}
	fmt.Fprintln(w)
	if r.Conversations > 0 {
		fmt.Fprintf(w, "conversations: %d (their turns are scored with the context of the turns before)\n", r.Conversations)
	}
	if r.InScope[1] > 0 && r.OutOfScope[1] > 0 {
		fmt.Fprintf(w, "in-scope accuracy: %.3f (%d/%d)\n", ratio(r.InScope[0], r.InScope[1]), r.InScope[0], r.InScope[1])
		fmt.Fprintf(w, "out-of-scope recall (expect unknown): %.3f (%d/%d)\n", ratio(r.OutOfScope[0], r.OutOfScope[1]), r.OutOfScope[0], r.OutOfScope[1])
	}
	fmt.Fprintf(w, "critical labels (emergency/optout/optin/help) missed: %d\n", r.CriticalMisses)
	fmt.Fprintf(w, "unknown cases answered with an FAQ: %d/%d (%.1f%%)\n", r.UnknownToFAQ, r.UnknownCases, 100*ratio(r.UnknownToFAQ, r.UnknownCases))
	fmt.Fprintf(w, "answered with a wrong FAQ: %d/%d (%.1f%%)\n", r.WrongFAQ, r.Total, 100*ratio(r.WrongFAQ, r.Total))
	fmt.Fprintf(w, "accuracy: %.3f (%d/%d)\n", r.Accuracy(), r.Correct, r.Total)
}

func acceptableLabels(c EvalCase) []string {
	out := append([]string(nil), c.Expect...)
	for _, a := range c.Accept {
		if !contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// EvalJSON is `eval --json`: the report for machines.
type EvalJSON struct {
	Total    int     `json:"total"`
	Correct  int     `json:"correct"`
	Accuracy float64 `json:"accuracy"`
	// WrongFAQShare is the share of all cases answered with a wrong FAQ.
	WrongFAQ      int     `json:"wrong_faq"`
	WrongFAQShare float64 `json:"wrong_faq_share"`
	UnknownCases  int     `json:"unknown_cases"`
	UnknownToFAQ  int     `json:"unknown_to_faq"`
	// CriticalMisses counts misses involving emergency, optout, optin or help.
	CriticalMisses int `json:"critical_misses"`
	// InScope: cases where unknown is not acceptable; OutOfScope: cases
	// where only unknown is (its recall is CLINC150's out-of-scope recall).
	InScope       EvalShare            `json:"in_scope"`
	OutOfScope    EvalShare            `json:"out_of_scope"`
	Conversations int                  `json:"conversations"`
	Labels        map[string]EvalLabel `json:"labels"`
	Styles        map[string]EvalShare `json:"styles"`
	Misses        []EvalJSONMiss       `json:"misses"`
}

// EvalShare is a count of correct cases among total.
type EvalShare struct {
	Correct  int     `json:"correct"`
	Total    int     `json:"total"`
	Accuracy float64 `json:"accuracy"`
}

// EvalLabel is one label's precision and recall.
type EvalLabel struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	Gold      int     `json:"gold"`
	Pred      int     `json:"pred"`
}

// EvalJSONMiss is one miss: where, what was acceptable, and what the engine
// decided and why (its rule).
type EvalJSONMiss struct {
	Line       int      `json:"line"`
	Turn       int      `json:"turn,omitempty"`
	Text       string   `json:"text"`
	Style      string   `json:"style,omitempty"`
	Expected   []string `json:"expected"`
	Got        string   `json:"got"`
	Confidence float64  `json:"confidence"`
	Rule       string   `json:"rule,omitempty"`
}

func share(c [2]int) EvalShare {
	return EvalShare{Correct: c[0], Total: c[1], Accuracy: ratio(c[0], c[1])}
}

// JSON is the report as EvalJSON.
func (r *EvalReport) JSON() EvalJSON {
	j := EvalJSON{Total: r.Total, Correct: r.Correct, Accuracy: r.Accuracy(),
		WrongFAQ: r.WrongFAQ, WrongFAQShare: ratio(r.WrongFAQ, r.Total),
		UnknownCases: r.UnknownCases, UnknownToFAQ: r.UnknownToFAQ, CriticalMisses: r.CriticalMisses,
		InScope: share(r.InScope), OutOfScope: share(r.OutOfScope), Conversations: r.Conversations,
		Labels: map[string]EvalLabel{}, Styles: map[string]EvalShare{}, Misses: []EvalJSONMiss{}}
	for _, l := range r.labels() {
		j.Labels[l] = EvalLabel{Precision: ratio(r.tp[l], r.pred[l]), Recall: ratio(r.tp[l], r.gold[l]), Gold: r.gold[l], Pred: r.pred[l]}
	}
	for s, c := range r.styles {
		if s != "" {
			j.Styles[s] = share(*c)
		}
	}
	for _, m := range r.Misses {
		j.Misses = append(j.Misses, EvalJSONMiss{Line: m.Case.Line, Turn: m.Case.Turn, Text: m.Case.Text, Style: m.Case.Style,
			Expected: acceptableLabels(m.Case), Got: Label(m.Got), Confidence: m.Got.Confidence, Rule: m.Got.Rule})
	}
	return j
}

func runEval(ctx context.Context, env *Env, args []string) int {
	fs := newFlags(env, "eval")
	cfg, cfgErr := config.Bind(fs, env.Getenv, "faq")
	minAcc := fs.Float64("min-accuracy", 0, "exit 1 if accuracy is below this (0..1)")
	asJSON := fs.Bool("json", false, "print the report as one JSON object (accuracy, labels, styles, wrong_faq_share, misses)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: faqbot eval [--faq DIR] [--min-accuracy X] [--json] FILE.jsonl\nFormat: faq/README.md (messages, and conversations scored turn by turn).")
		fs.PrintDefaults()
	}
	pos, code, ok := parseArgs(env, fs, args)
	if !ok {
		return code
	}
	if cfgErr != nil {
		fmt.Fprintln(env.Stderr, "faqbot eval:", cfgErr)
		return 2
	}
	if len(pos) != 1 {
		fs.Usage()
		return 2
	}
	f, err := os.Open(pos[0])
	if err != nil {
		fmt.Fprintf(env.Stderr, "faqbot eval: %v\n", err)
		return 1
	}
	defer f.Close()
	cases, err := ReadEvalCases(f)
	if err != nil {
		fmt.Fprintf(env.Stderr, "faqbot eval: %s: %v\n", pos[0], err)
		return 1
	}
	e, ok := loadEngine(env, cfg.FAQDir)
	if !ok {
		return 1
	}
	r := Evaluate(e, cases)
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r.JSON()); err != nil {
			return 1
		}
	} else {
		r.Print(env.Stdout)
	}
	if r.Accuracy() < *minAcc {
		if *asJSON {
			fmt.Fprintf(env.Stderr, "FAIL: accuracy %.3f is below --min-accuracy %.3f\n", r.Accuracy(), *minAcc)
		} else {
			fmt.Fprintf(env.Stdout, "FAIL: accuracy %.3f is below --min-accuracy %.3f\n", r.Accuracy(), *minAcc)
		}
		return 1
	}
	return 0
}
