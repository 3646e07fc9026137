package staff_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/flsps/faqbot/internal/browsertest"
	"github.com/flsps/faqbot/internal/faq"
	"github.com/flsps/faqbot/internal/insight"
	"github.com/flsps/faqbot/internal/staff"
	"github.com/flsps/faqbot/internal/store"
)

// analyticsNow is the console's clock in the analytics tests.
var analyticsNow = time.Date(2031, 5, 8, 16, 0, 0, 0, time.UTC)

// newAnalyticsEnv is a console whose analytics read its store and the
// repository's FAQ, with a week of seeded messages and escalations.
func newAnalyticsEnv(t *testing.T) *testEnv {
	t.Helper()
	set, err := faq.Load(filepath.Join("..", "..", "faq"))
	if err != nil {
		t.Fatal(err)
	}
	var e *testEnv
	e = newEnv(t, func(o *staff.Options) {
		o.Report = func(ctx context.Context, from, to time.Time) (*insight.Report, error) {
			return insight.Build(ctx, e.st, set, o.Location, from, to, 0)
		}
	})
	e.now = analyticsNow
	ctx := context.Background()
	seed := []struct {
		ago                 time.Duration
		body, intent, faqID string
		esc                 bool
	}{
		{72 * time.Hour, "how long does botox last", "faq", "botox-duration", false},
		{50 * time.Hour, "does botox help tmj", "faq", "tmj", false},
		{49 * time.Hour, "does botox help with jaw clenching", "faq", "tmj", false},
		{26 * time.Hour, "do you take insurance for botox", "unknown", "", true},
		{25 * time.Hour, "is my insurance going to pay", "unknown", "", true},
		{3 * time.Hour, "i want to book a consult", "booking", "", true},
	}
	for i, s := range seed {
		ex := store.Exchange{Channel: store.ChannelSMS, Address: fmt.Sprintf("+1561555%04d", 300+i),
			ExternalID: fmt.Sprintf("SMa%d", i), Body: s.body, Intent: s.intent, FAQID: s.faqID, Confidence: 0.9,
			At: analyticsNow.Add(-s.ago)}
		if s.esc {
			ex.Escalate = &store.NewEscalation{Kind: s.intent, Priority: store.PriorityNormal}
		}
		if _, err := e.st.RecordExchange(ctx, ex); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func TestAnalyticsPage(t *testing.T) {
	e := newAnalyticsEnv(t)
	e.addStaff(dana, "Dana Ortiz", danaPW, true)
	e.addStaff(lee, "Lee Park", leePW, false)

	admin := e.client()
	admin.mustLogin(dana, danaPW)
	p := admin.get("/staff/analytics?since=7d")
	if p.status != http.StatusOK {
		t.Fatalf("status %d: %.500s", p.status, p.body)
	}
	for _, want := range []string{
		`id="chart-daily"`, `id="chart-escalations"`, `id="chart-entries"`, `id="chart-share"`,
		`<span class="an-num" id="messages-total">6</span>`, `id="share-answered">50%`,
		"Unanswered question", "Booking request", "do you take insurance for botox", `href="/staff/analytics"`,
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(p.body, " style=") || strings.Contains(p.body, "<style") || strings.Contains(p.body, "<script>") {
		t.Error("page has inline style or script, which the CSP forbids")
	}
	if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "style-src 'self'") {
		t.Errorf("CSP = %q", csp)
	}
	if p := admin.get("/staff/analytics?since=forever"); p.status != http.StatusBadRequest {
		t.Errorf("bad period: %d", p.status)
	}

	staffer := e.client()
	staffer.mustLogin(lee, leePW)
	if p := staffer.get("/staff/analytics"); p.status != http.StatusForbidden {
		t.Errorf("non-admin: %d", p.status)
	}
	if p := e.client().get("/staff/analytics"); p.status != http.StatusSeeOther && !strings.Contains(p.body, "login") {
		t.Errorf("signed out: %d", p.status)
	}
}

// TestBrowserAnalyticsCharts opens the analytics page in headless Chromium
// and finds its charts drawn, styled by the stylesheet (the CSP allows no
// inline style), with one bar a day.
func TestBrowserAnalyticsCharts(t *testing.T) {
	ctx, dialogs := browsertest.New(t)
	e := newAnalyticsEnv(t)
	e.addStaff(dana, "Dana Ortiz", danaPW, true)
	base := e.srv.URL
	browsertest.Do(t, ctx, "sign in",
		chromedp.Navigate(base+"/staff/login"),
		chromedp.SendKeys(chromedp.ID("email"), dana),
		chromedp.SendKeys(chromedp.ID("password"), danaPW),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("queue")),
	)
	browsertest.Do(t, ctx, "open analytics",
		chromedp.Click(chromedp.CSS(`nav a[href="/staff/analytics"]`)),
		chromedp.WaitVisible(chromedp.ID("chart-daily")),
	)
	browsertest.Do(t, ctx, "last 7 days",
		chromedp.Click(chromedp.CSS(`a[href="/staff/analytics?since=7d"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/staff/analytics?since=7d"][aria-current="page"]`)),
	)
	for _, id := range []string{"chart-daily", "chart-escalations", "chart-entries", "chart-share"} {
		w := browsertest.Run(t, ctx, id+" width", chromedp.Evaluate[float64](`document.getElementById("`+id+`").getBoundingClientRect().width`))
		if w < 100 {
			t.Errorf("%s is %v px wide", id, w)
		}
	}
	// 7 days back from the 8th, in the clinic's time zone: 8 calendar days.
	if n := browsertest.Run(t, ctx, "daily bars", chromedp.Evaluate[int](`document.querySelectorAll("#chart-daily g.day").length`)); n != 8 {
		t.Errorf("daily bars = %d, want 8", n)
	}
	if n := browsertest.Run(t, ctx, "escalation rows", chromedp.Evaluate[int](`document.querySelectorAll("#chart-escalations text.label").length`)); n != 2 {
		t.Errorf("escalation rows = %d, want 2", n)
	}
	fill := browsertest.Run(t, ctx, "answered colour", chromedp.Evaluate[string](`getComputedStyle(document.querySelector("#chart-daily .bar-answered")).fill`))
	if fill != "rgb(31, 95, 191)" {
		t.Errorf("answered bars are %q: the stylesheet did not apply", fill)
	}
	groups := browsertest.Run(t, ctx, "unanswered groups", chromedp.Evaluate[string](`document.querySelector("#unanswered table").innerText`))
	if !strings.Contains(groups, "do you take insurance for botox") {
		t.Errorf("unanswered table: %q", groups)
	}
	shot := browsertest.Run(t, ctx, "analytics screenshot", chromedp.FullScreenshot(100))
	if err := os.WriteFile(screenshotPath(t, "analytics.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	if dialogs.Load() != 0 {
		t.Errorf("%d dialogs opened", dialogs.Load())
	}
}
