package insight

import (
	"context"
	"sort"
	"time"

	"github.com/flsps/faqbot/internal/faq"
	"github.com/flsps/faqbot/internal/store"
)

// Source is what a report reads from the store.
type Source interface {
	Decisions(ctx context.Context, from, to time.Time) ([]store.Decision, error)
	EscalationStats(ctx context.Context, from, to time.Time) ([]store.EscalationStat, error)
}

// Report is the analytics and the unanswered groups of one period.
type Report struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	Zone string    `json:"zone"` // the clinic's time zone, in which days are counted

	Messages      int     `json:"messages"` // patient messages
	Answered      int     `json:"answered"` // answered from the FAQ
	ShareAnswered float64 `json:"share_answered"`
	Days          []Day   `json:"days"`

	Escalations []KindRow  `json:"escalations"`
	FirstReply  FirstReply `json:"first_staff_reply"`
	TopEntries  []Count    `json:"top_entries"`
	FAQVersions []Count    `json:"faq_versions"` // the FAQ versions that answered in the period, busiest first

	LowConfidence float64 `json:"low_confidence"`
	Unanswered    []Group `json:"unanswered"`
}

// Day is one calendar day in the clinic's time zone.
type Day struct {
	Date     string `json:"date"` // 2006-01-02
	Messages int    `json:"messages"`
	Answered int    `json:"answered"`
}

// KindRow is the escalations of one kind and how they ended.
type KindRow struct {
	Kind     string  `json:"kind"`
	Total    int     `json:"total"`
	Outcomes []Count `json:"outcomes"` // booked, answered, no_response, other, and "open" for unresolved
}

// Count is a name and how often.
type Count struct {
	Name string `json:"name"`
	N    int    `json:"n"`
}

// FirstReply is how long patients waited for staff's first text after an
// escalation opened.
type FirstReply struct {
	Replied       int     `json:"replied"`
	Waiting       int     `json:"waiting"` // no staff text yet
	MedianSeconds float64 `json:"median_seconds"`
	P90Seconds    float64 `json:"p90_seconds"`
}

// Median and P90 as durations, for display.
func (f FirstReply) Median() time.Duration {
	return time.Duration(f.MedianSeconds * float64(time.Second))
}

// P90 is the 90th percentile wait.
func (f FirstReply) P90() time.Duration { return time.Duration(f.P90Seconds * float64(time.Second)) }

// Build reads [from, to) from src and computes the report; days are counted
// in loc. lowConfidence <= 0 means DefaultLowConfidence.
func Build(ctx context.Context, src Source, set *faq.Set, loc *time.Location, from, to time.Time, lowConfidence float64) (*Report, error) {
	if loc == nil {
		loc = time.UTC
	}
	if lowConfidence <= 0 {
		lowConfidence = DefaultLowConfidence
	}
	ds, err := src.Decisions(ctx, from, to)
	if err != nil {
		return nil, err
	}
	es, err := src.EscalationStats(ctx, from, to)
	if err != nil {
		return nil, err
	}
	r := &Report{From: from.UTC(), To: to.UTC(), Zone: loc.String(), LowConfidence: lowConfidence}

	// One row per calendar day, empty days included, so a chart's gaps are real.
	index := map[string]int{}
	first := from.In(loc)
	day := time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, loc)
	for ; day.Before(to); day = day.AddDate(0, 0, 1) {
		key := day.Format(time.DateOnly)
		index[key] = len(r.Days)
		r.Days = append(r.Days, Day{Date: key})
	}
	entries, versions := map[string]int{}, map[string]int{}
	for _, d := range ds {
		r.Messages++
		i, ok := index[d.At.In(loc).Format(time.DateOnly)]
		if ok {
			r.Days[i].Messages++
		}
		if d.FAQVersion != "" {
			versions[d.FAQVersion]++
		}
		if d.Intent == "faq" {
			r.Answered++
			entries[d.FAQID]++
			if ok {
				r.Days[i].Answered++
			}
		}
	}
	if r.Messages > 0 {
		r.ShareAnswered = float64(r.Answered) / float64(r.Messages)
	}
	r.TopEntries = counts(entries, 10)
	r.FAQVersions = counts(versions, 0)

	kinds := map[string]map[string]int{}
	var waits []float64
	for _, e := range es {
		if kinds[e.Kind] == nil {
			kinds[e.Kind] = map[string]int{}
		}
		outcome := e.Outcome
		if e.Status != store.EscResolved || outcome == "" {
			outcome = "open"
		}
		kinds[e.Kind][outcome]++
		if e.FirstStaffReply != nil {
			waits = append(waits, e.FirstStaffReply.Sub(e.CreatedAt).Seconds())
		} else {
			r.FirstReply.Waiting++
		}
	}
	for k, m := range kinds {
		row := KindRow{Kind: k, Outcomes: counts(m, 0)}
		for _, c := range row.Outcomes {
			row.Total += c.N
		}
		r.Escalations = append(r.Escalations, row)
	}
	sort.Slice(r.Escalations, func(i, j int) bool {
		a, b := r.Escalations[i], r.Escalations[j]
		if a.Total != b.Total {
			return a.Total > b.Total
		}
		return a.Kind < b.Kind
	})
	r.FirstReply.Replied = len(waits)
	if len(waits) > 0 {
		sort.Float64s(waits)
		r.FirstReply.MedianSeconds = quantile(waits, 0.5)
		r.FirstReply.P90Seconds = quantile(waits, 0.9)
	}
	r.Unanswered = Unanswered(ds, set, lowConfidence)
	return r, nil
}

// counts sorts a tally busiest first (ties by name); n > 0 keeps the first n.
func counts(m map[string]int, n int) []Count {
	out := make([]Count, 0, len(m))
	for k, v := range m {
		out = append(out, Count{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Name < out[j].Name
	})
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out
}

// quantile of sorted xs, nearest rank.
func quantile(xs []float64, q float64) float64 {
	i := int(q*float64(len(xs))+0.5) - 1
	i = max(0, min(i, len(xs)-1))
	return xs[i]
}
