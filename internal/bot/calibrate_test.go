package bot

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/flsps/faqbot/internal/faq"
	"github.com/flsps/faqbot/internal/match"
)

var calibrate = flag.Bool("calibrate", false, "print the learned matcher's accuracy for neighbouring thresholds (TestCalibrate)")

type labelled struct {
	text   string
	expect []string
}

func readLabelled(t *testing.T, path string) []labelled {
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("no %s: %v", path, err)
	}
	defer f.Close()
	var out []labelled
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] != '{' {
			continue
		}
		var raw struct {
			Text   string          `json:"text"`
			Expect json.RawMessage `json:"expect"`
			Accept []string        `json:"accept"`
		}
		if err := json.Unmarshal([]byte(line), &raw); err != nil {
			t.Fatal(err)
		}
		c := labelled{text: raw.Text}
		var one string
		if json.Unmarshal(raw.Expect, &one) == nil {
			c.expect = []string{one}
		} else if err := json.Unmarshal(raw.Expect, &c.expect); err != nil {
			t.Fatal(err)
		}
		c.expect = append(c.expect, raw.Accept...)
		out = append(out, c)
	}
	return out
}

// TestCalibrate prints, for the CLINC150 FAQ, how the learned matcher's
// raw scores separate right answers from out-of-scope questions. Run it
// with go test -run Calibrate -calibrate ./internal/bot/.
func TestCalibrate(t *testing.T) {
	if !*calibrate {
		t.Skip("run with -calibrate")
	}
	set, err := faq.Load("../../../shared/eval/clinc150/faq")
	if err != nil {
		t.Skip(err)
	}
	cases := readLabelled(t, "../../../shared/eval/clinc150/val.jsonl")
	e := NewEngine(set)
	for _, nn := range []float64{0, 0.25, 0.5} {
		match.NNShare = nn
		top1, nin := 0, 0
		for _, c := range cases {
			r := e.model.Score(e.an.Analyze(c.text).Tokens)
			if c.expect[0] != "unknown" {
				nin++
				if "faq:"+r.Label == c.expect[0] {
					top1++
				}
			}
		}
		fmt.Printf("nn %.2f: top-1 %.3f\n", nn, float64(top1)/float64(nin))
	}
	match.NNShare = 0.5
	type obs struct {
		in, right bool
		s, s2     float64
	}
	var os_ []obs
	top1, nin := 0, 0
	for _, c := range cases {
		an := e.an.Analyze(c.text)
		r := e.model.Score(an.Tokens)
		o := obs{in: c.expect[0] != "unknown", right: "faq:"+r.Label == c.expect[0], s: r.Score, s2: r.Score2}
		if o.in {
			nin++
			if o.right {
				top1++
			}
		}
		os_ = append(os_, o)
	}
	fmt.Printf("top-1 in-scope accuracy %.3f (%d/%d)\n", float64(top1)/float64(nin), top1, nin)
	for _, th := range []float64{0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5} {
		for _, mg := range []float64{0, 0.02, 0.05, 0.1} {
			acc, oos, nout := 0, 0, 0
			for _, o := range os_ {
				ans := o.s >= th && o.s-o.s2 >= mg
				if o.in && ans && o.right {
					acc++
				}
				if !o.in {
					nout++
					if !ans {
						oos++
					}
				}
			}
			fmt.Printf("score>=%.2f margin>=%.2f  in-scope %.3f  oos recall %.3f\n", th, mg, float64(acc)/float64(nin), float64(oos)/float64(nout))
		}
	}
}

// TestCalibrateClinic prints accuracy and the wrong-answer share on the
// clinic's labelled files for neighbouring values of learnedHinted.
func TestCalibrateClinic(t *testing.T) {
	if !*calibrate {
		t.Skip("run with -calibrate")
	}
	set, err := faq.Load("../../faq")
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(set)
	files := []string{"../../faq/tests.jsonl", "../../../shared/eval/dev.jsonl", "../../../shared/eval/dev2.jsonl"}
	defer func(v float64) { learnedHinted = v }(learnedHinted)
	for _, h := range []float64{0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 1} {
		learnedHinted = h
		line := fmt.Sprintf("learnedHinted %.2f:", h)
		for _, f := range files {
			cases := readLabelled(t, f)
			right, wrong := 0, 0
			for _, c := range cases {
				d := e.Decide(c.text, Context{})
				got := string(d.Intent)
				if d.Intent == IntentFAQ {
					got = "faq:" + d.FAQID
				}
				if slices.Contains(c.expect, got) {
					right++
				} else if d.Intent == IntentFAQ {
					wrong++
				}
			}
			line += fmt.Sprintf("  %s %.3f wrong-faq %.3f", f[strings.LastIndex(f, "/")+1:], float64(right)/float64(len(cases)), float64(wrong)/float64(len(cases)))
		}
		fmt.Println(line)
	}
}
