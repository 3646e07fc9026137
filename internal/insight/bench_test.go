package insight

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/flsps/faqbot/internal/store"
)

// BenchmarkUnanswered groups n synthetic unanswered messages: each mixes
// words of two FAQ phrasings with one of 100 invented subjects and a
// number, so groups are many and uneven, as in a busy month.
func BenchmarkUnanswered(b *testing.B) {
	set := faqSet(&testing.T{})
	var phrasings []string
	for _, e := range set.Entries {
		phrasings = append(phrasings, e.Alternates...)
	}
	for _, n := range []int{500, 2000, 5000} {
		rng := rand.New(rand.NewPCG(1, 2))
		ds := make([]store.Decision, n)
		for i := range ds {
			a := strings.Fields(phrasings[rng.IntN(len(phrasings))])
			c := strings.Fields(phrasings[rng.IntN(len(phrasings))])
			body := fmt.Sprintf("%s %s subject%d %d", strings.Join(a[:len(a)/2], " "), strings.Join(c[len(c)/2:], " "), rng.IntN(100), rng.IntN(1000))
			ds[i] = store.Decision{Body: body, Intent: "unknown"}
		}
		b.Run(fmt.Sprintf("messages=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			groups := 0
			for b.Loop() {
				groups = len(Unanswered(ds, set, DefaultLowConfidence))
			}
			b.ReportMetric(float64(groups), "groups")
		})
	}
}
