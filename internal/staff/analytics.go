package staff

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/flsps/faqbot/internal/config"
	"github.com/flsps/faqbot/internal/insight"
)

// ReportFunc computes the analytics and unanswered report of [from, to)
// (the server builds it from the store and the FAQ serving now).
type ReportFunc func(ctx context.Context, from, to time.Time) (*insight.Report, error)

// analyticsPeriods are the periods the page offers.
var analyticsPeriods = []string{"7d", "30d", "90d"}

// analyticsData is the analytics page: the report and its charts, drawn
// here as SVG geometry so the template only places shapes (no script, no
// inline style: the CSP allows neither).
type analyticsData struct {
	R       *insight.Report
	Since   string
	Periods []string
	Daily   barChart
	Kinds   hbarChart
	Entries hbarChart
	Share   int // per cent answered from the FAQ
	ShareW  int // the meter's filled width (of 200)
	// MedianWait and P90Wait are the first-staff-reply times, for display.
	MedianWait, P90Wait string
	From                time.Time
	To                  time.Time
}

// barChart is a vertical bar chart of days.
type barChart struct {
	W, H   int
	Bars   []bar
	Grid   []gridLine
	Labels []axisLabel
}

type bar struct {
	X, W       float64
	Y, H       float64 // the whole day
	AnsY, AnsH float64 // the answered part, at the bottom
	Title      string
}

type gridLine struct {
	Y     float64
	Label string
}

type axisLabel struct {
	X     float64
	Text  string
	Class string
}

// hbarChart is horizontal bars, each split into segments.
type hbarChart struct {
	ID     string // the svg element's id
	Title  string
	W, H   int
	Rows   []hbarRow
	Legend []legendItem
}

type hbarRow struct {
	Y, TextY float64
	Label    string
	Total    int
	TotalX   float64
	Segs     []seg
}

type seg struct {
	X, W  float64
	Class string
	Title string
}

type legendItem struct {
	Class, Label string
}

const (
	chartW     = 760
	dailyH     = 200
	axisLeft   = 40.0
	axisBottom = 22.0
	rowH       = 28.0
	labelW     = 190.0
)

func dailyChart(days []insight.Day) barChart {
	c := barChart{W: chartW, H: dailyH}
	if len(days) == 0 {
		return c
	}
	top := 1
	for _, d := range days {
		top = max(top, d.Messages)
	}
	top = niceCeil(top)
	plotW, plotH := chartW-axisLeft-8, dailyH-axisBottom-8
	slot := plotW / float64(len(days))
	scale := func(n int) float64 { return plotH * float64(n) / float64(top) }
	base := 8 + plotH
	for _, f := range []int{top, top / 2} {
		if f > 0 {
			c.Grid = append(c.Grid, gridLine{Y: round1(base - scale(f)), Label: fmt.Sprint(f)})
		}
	}
	for i, d := range days {
		x := axisLeft + float64(i)*slot + slot*0.15
		h, ah := scale(d.Messages), scale(d.Answered)
		c.Bars = append(c.Bars, bar{
			X: round1(x), W: round1(max(1, slot*0.7)),
			Y: round1(base - h), H: round1(h), AnsY: round1(base - ah), AnsH: round1(ah),
			Title: fmt.Sprintf("%s: %d message(s), %d answered from the FAQ", d.Date, d.Messages, d.Answered),
		})
	}
	seen := map[int]bool{}
	for _, i := range []int{0, len(days) / 2, len(days) - 1} {
		if seen[i] {
			continue
		}
		seen[i] = true
		l := axisLabel{X: round1(axisLeft + (float64(i)+0.5)*slot), Text: days[i].Date[5:], Class: "mid"}
		switch {
		case len(days) == 1:
		case i == 0:
			l.Class = "start"
		case i == len(days)-1:
			l.Class = "end"
		}
		c.Labels = append(c.Labels, l)
	}
	return c
}

// hbars lays out rows of segments scaled to the largest total.
func hbars(id, heading string, rows []hbarRow, totals []int, segs [][]insight.Count, class func(string) string, title func(row, seg string) string, legend []legendItem) hbarChart {
	c := hbarChart{ID: id, Title: heading, W: chartW, H: int(rowH*float64(len(rows))) + 4, Legend: legend}
	top := 1
	for _, t := range totals {
		top = max(top, t)
	}
	plotW := chartW - labelW - 50
	for i := range rows {
		r := rows[i]
		r.Y = 2 + rowH*float64(i)
		r.TextY = r.Y + rowH/2 + 5
		r.Total = totals[i]
		x := labelW
		for _, s := range segs[i] {
			w := plotW * float64(s.N) / float64(top)
			r.Segs = append(r.Segs, seg{X: round1(x), W: round1(w), Class: class(s.Name), Title: title(r.Label, s.Name) + fmt.Sprintf(": %d", s.N)})
			x += w
		}
		r.TotalX = round1(x + 6)
		c.Rows = append(c.Rows, r)
	}
	return c
}

func kindsChart(rows []insight.KindRow) hbarChart {
	hr := make([]hbarRow, len(rows))
	totals := make([]int, len(rows))
	segs := make([][]insight.Count, len(rows))
	for i, k := range rows {
		hr[i] = hbarRow{Label: kindLabel(k.Kind)}
		totals[i], segs[i] = k.Total, k.Outcomes
	}
	var legend []legendItem
	for _, o := range []string{"booked", "answered", "no_response", "other", "open"} {
		legend = append(legend, legendItem{Class: "seg-" + o, Label: outcomeOrOpen(o)})
	}
	return hbars("chart-escalations", "Escalations by kind and outcome", hr, totals, segs,
		func(o string) string { return "seg-" + o },
		func(row, o string) string { return row + ", " + outcomeOrOpen(o) }, legend)
}

func outcomeOrOpen(o string) string {
	if o == "open" {
		return "Not resolved yet"
	}
	return outcomeLabel(o)
}

func entriesChart(top []insight.Count) hbarChart {
	hr := make([]hbarRow, len(top))
	totals := make([]int, len(top))
	segs := make([][]insight.Count, len(top))
	for i, e := range top {
		hr[i] = hbarRow{Label: e.Name}
		totals[i], segs[i] = e.N, []insight.Count{{Name: "answered", N: e.N}}
	}
	return hbars("chart-entries", "Most answered FAQ entries", hr, totals, segs, func(string) string { return "seg-entry" },
		func(row, _ string) string { return row + " answered" }, nil)
}

// niceCeil rounds a chart's top up to 1, 2 or 5 times a power of ten.
func niceCeil(n int) int {
	if n <= 2 {
		return 2
	}
	p := int(math.Pow(10, math.Floor(math.Log10(float64(n)))))
	for _, m := range []int{1, 2, 5, 10} {
		if m*p >= n {
			return m * p
		}
	}
	return 10 * p
}

func waitText(d time.Duration) string {
	if d < time.Minute {
		return "under a minute"
	}
	return humanDuration(d)
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

// analyticsPage shows the analytics and the unanswered report (admins).
func (c *Console) analyticsPage(w http.ResponseWriter, r *http.Request, se *sess) {
	if !se.user.Admin {
		c.renderError(w, r, se, http.StatusForbidden, "Admins only", "Analytics are visible to administrators.")
		return
	}
	if c.o.Report == nil {
		c.renderError(w, r, se, http.StatusServiceUnavailable, "Analytics unavailable", "This server was started without reports.")
		return
	}
	since := r.URL.Query().Get("since")
	if since == "" {
		since = "30d"
	}
	span, err := config.ParseDuration(since)
	if err != nil || span <= 0 || span > 366*24*time.Hour {
		c.renderError(w, r, se, http.StatusBadRequest, "Bad period", "The period must be a number of days between 1d and 366d, such as 30d.")
		return
	}
	to := c.now()
	rep, err := c.o.Report(r.Context(), to.Add(-span), to)
	if err != nil {
		c.serverError(w, r, se, "analytics", err)
		return
	}
	d := &analyticsData{
		R: rep, Since: since, Periods: analyticsPeriods, From: rep.From, To: rep.To,
		Daily: dailyChart(rep.Days), Kinds: kindsChart(rep.Escalations), Entries: entriesChart(rep.TopEntries),
		Share:      int(math.Round(rep.ShareAnswered * 100)),
		ShareW:     int(math.Round(rep.ShareAnswered * 200)),
		MedianWait: waitText(rep.FirstReply.Median()), P90Wait: waitText(rep.FirstReply.P90()),
	}
	c.render(w, r, http.StatusOK, "analytics", &pageData{Title: "Analytics", Nav: "analytics", Analytics: d})
}
