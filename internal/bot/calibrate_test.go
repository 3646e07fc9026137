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
	"time"

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
	// The sweep below changes the model's numbers; the report after it
	// uses the tuned ones.
	ep, keep, rm, rate, gw, nn := match.Epochs, match.RefKeep, match.RefMargin, match.RefRate, match.GroupWeight, match.NNShare
	for _, cfg := range []struct {
		ep   int
		keep float32
		gw   float64
		rm   float32
		rate float32
	}{{10, 2, 0.8, 0.25, 0.2}, {10, 2, 0.75, 0.25, 0.2}, {14, 2, 0.7, 0.25, 0.2}} {
		match.Epochs, match.RefKeep, match.RefMargin, match.RefRate = cfg.ep, cfg.keep, cfg.rm, cfg.rate
		match.GroupWeight = [2]float64{cfg.gw, 1 - cfg.gw}
		t0 := time.Now()
		e := NewEngine(set)
		took := time.Since(t0)
		for _, nn := range []float64{0} {
			match.NNShare = nn
			type o struct {
				in, right bool
				s, m      float64
			}
			var os []o
			top1, nin, nout := 0, 0, 0
			for _, c := range cases {
				r := e.model.Score(e.an.Analyze(c.text).Tokens)
				x := o{in: c.expect[0] != "unknown", right: "faq:"+r.Label == c.expect[0], s: r.Score, m: r.Score - r.Score2}
				if x.in {
					nin++
					if x.right {
						top1++
					}
				} else {
					nout++
				}
				os = append(os, x)
			}
			bestAcc, bestTh, bestOOS := 0.0, 0.0, 0.0
			for th := 0.05; th < 0.6; th += 0.01 {
				acc, oos := 0, 0
				for _, x := range os {
					ans := x.s >= th
					if x.in && ans && x.right {
						acc++
					}
					if !x.in && !ans {
						oos++
					}
				}
				if r := float64(oos) / float64(nout); r >= 0.6 && float64(acc)/float64(nin) > bestAcc {
					bestAcc, bestTh, bestOOS = float64(acc)/float64(nin), th, r
				}
			}
			fmt.Printf("rate %.2f gw %.2f rm %.2f epochs %d keep %.1f nn %.2f (load %v): top-1 %.3f; best with oos>=0.6: in-scope %.3f oos %.2f at score>=%.2f\n", cfg.rate, cfg.gw, cfg.rm, cfg.ep, cfg.keep, nn, took.Round(time.Millisecond), float64(top1)/float64(nin), bestAcc, bestOOS, bestTh)
		}
	}
	match.Epochs, match.RefKeep, match.RefMargin, match.RefRate, match.GroupWeight = ep, keep, rm, rate, gw
	match.NNShare = nn
	e := NewEngine(set)
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
	for _, h := range []float64{0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 1} {
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
