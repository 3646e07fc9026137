package bot

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flsps/faqbot/internal/faq"
)

var benchMessages = []string{
	"how long dos botox last",
	"hi, my jaw hurts when i chew, would botox help with that?",
	"can i lay down after my shots",
	"Does insurance cover botox for migraines",
	"STOP",
	"i don't have trouble breathing, just wondering how long it lasts",
	"tengo migrañas, me ayuda el botox?",
	"thanks!! 😊",
}

func BenchmarkDecide(b *testing.B) {
	b.Run("clinic", func(b *testing.B) {
		benchDecide(b, clinicEngine(b))
	})
	b.Run("generated-1000", func(b *testing.B) {
		benchDecide(b, NewEngine(generatedSet(1000)))
	})
	// 1,000 entries that each carry cues, asked messages that hit them:
	// the cost must not grow with the number of cues times itself.
	b.Run("generated-1000-cued", func(b *testing.B) {
		set := generatedSet(1000)
		r := rand.New(rand.NewSource(2))
		msgs := slices.Clone(benchMessages)
		for _, en := range set.Entries {
			if strings.HasPrefix(en.ID, "gen-") {
				w := strings.Fields(en.Alternates[0])
				en.Cues = []string{w[0] + " * " + w[len(w)-1], w[1] + "|" + w[2], "how * " + w[3]}
				if r.Intn(20) == 0 {
					msgs = append(msgs, "hi there, "+en.Alternates[1]+". how about "+w[3]+"? thanks")
				}
			}
		}
		benchDecide(b, NewEngine(set), msgs...)
	})
}

// benchDecide decides messages in turn (benchMessages by default) and
// reports the median and 99th percentile of one decision besides the mean.
func benchDecide(b *testing.B, e *Engine, msgs ...string) {
	if len(msgs) == 0 {
		msgs = benchMessages
	}
	b.ReportAllocs()
	var took []time.Duration
	i := 0
	for b.Loop() {
		t0 := time.Now()
		e.Decide(msgs[i%len(msgs)], Context{})
		took = append(took, time.Since(t0))
		i++
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(took[len(took)*99/100].Nanoseconds())/1e3, "p99-µs")
}

// generatedSet is n synthetic entries of ~10 phrasings each over a 3,000
// random-word vocabulary mixed with real clinic words, plus the clinic's own entries and intents.
func generatedSet(n int) *faq.Set {
	base, err := faq.Load("../../faq")
	if err != nil {
		panic(err)
	}
	r := rand.New(rand.NewSource(1))
	vocab := make([]string, 3000)
	for i := range vocab {
		var sb strings.Builder
		for j := 0; j < 5+r.Intn(5); j++ {
			sb.WriteByte(byte('a' + r.Intn(26)))
		}
		vocab[i] = sb.String()
	}
	// Real words too, so the benchmark messages hit long posting lists.
	real := strings.Fields("botox last long pain hurt jaw migraine lie down after shots safe cost insurance weeks months treatment injection needle cosmetic consult")
	phrase := func() string {
		w := make([]string, 4+r.Intn(5))
		for i := range w {
			w[i] = vocab[r.Intn(len(vocab))]
			if r.Intn(4) == 0 {
				w[i] = real[r.Intn(len(real))]
			}
		}
		return strings.Join(w, " ")
	}
	set := *base
	set.Entries = append([]*faq.Entry(nil), base.Entries...)
	for i := len(set.Entries); i < n; i++ {
		en := &faq.Entry{ID: fmt.Sprintf("gen-%d", i)}
		en.Question = phrase()
		for k := 0; k < 10; k++ {
			en.Alternates = append(en.Alternates, phrase())
		}
		en.Answer = "Generated answer."
		set.Entries = append(set.Entries, en)
	}
	return &set
}

// BenchmarkLoad builds an engine from CLINC150's plain FAQ (150 entries ×
// 100 phrasings) when the shared eval directory is there, else from a
// generated FAQ of the same shape.
func BenchmarkLoad(b *testing.B) {
	set, err := faq.Load("../../../shared/eval/clinc150/faq")
	if err != nil {
		set = generatedSet(150)
	}
	b.ReportAllocs()
	for b.Loop() {
		NewEngine(set)
	}
}
