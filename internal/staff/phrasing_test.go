package staff_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/flsps/faqbot/internal/browsertest"
	"github.com/flsps/faqbot/internal/store"
)

const (
	phrased = "Botox usually lasts about 3 to 6 months, and it is repeated about every 3 to 6 months."
	curated = "Botox usually lasts about 3 to 6 months, depending on the patient and on how often and how long you have been getting treatments."
)

// threadWithPhrasing records a conversation whose first bot reply the
// model phrased, whose second fell back, and which then escalates.
func (e *testEnv) threadWithPhrasing() *store.Escalation {
	e.t.Helper()
	ctx := context.Background()
	t0 := e.clock().Add(-10 * time.Minute)
	for i, ex := range []store.Exchange{
		{Body: "how long does botox last", Intent: "faq", FAQID: "botox-duration", Reply: phrased, ReplyPhrasing: "llm", ReplyCurated: curated},
		{Body: "and after?", Intent: "faq", FAQID: "aftercare", Reply: "After Botox, try to avoid lying flat for 4 to 6 hours.", ReplyPhrasing: "curated", ReplyFallback: "number"},
	} {
		ex.Channel, ex.Address, ex.ExternalID, ex.At = store.ChannelSMS, "+15615550160", fmt.Sprintf("SM%032d", sidCounter.Add(1)), t0.Add(time.Duration(i)*time.Minute)
		if _, err := e.st.RecordExchange(ctx, ex); err != nil {
			e.t.Fatal(err)
		}
	}
	return e.escalate("+15615550160", "can i book for friday", store.KindBooking, store.PriorityNormal)
}

func TestThreadShowsWhetherTheModelPhrasedAReply(t *testing.T) {
	e := newEnv(t)
	e.addStaff(dana, "Dana Ortiz", danaPW, false)
	esc := e.threadWithPhrasing()
	b := e.client()
	b.mustLogin(dana, danaPW)
	p := b.get(fmt.Sprintf("/staff/escalations/%d", esc.ID))
	if p.status != 200 {
		t.Fatalf("status %d", p.status)
	}
	for _, want := range []string{`<details class="phrasing"><summary>Worded by the language model</summary>`, curated, phrased, "the model's wording was not used: number"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("thread lacks %q", want)
		}
	}
	if n := strings.Count(p.body, `<details class="phrasing">`); n != 1 {
		t.Errorf("%d phrasing details, want 1 (only the phrased reply)", n)
	}
}

// TestBrowserCuratedTextIsOneClickAway: in Chromium, under the console's
// Content-Security-Policy, the curated text is hidden until its summary is
// clicked.
func TestBrowserCuratedTextIsOneClickAway(t *testing.T) {
	ctx, _ := browsertest.New(t)
	e := newEnv(t)
	e.addStaff(dana, "Dana Ortiz", danaPW, false)
	esc := e.threadWithPhrasing()
	browsertest.Do(t, ctx, "sign in",
		chromedp.Navigate(e.srv.URL+"/staff/login"),
		chromedp.SendKeys(chromedp.ID("email"), dana),
		chromedp.SendKeys(chromedp.ID("password"), danaPW),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("queue")),
		chromedp.Navigate(fmt.Sprintf("%s/staff/escalations/%d", e.srv.URL, esc.ID)),
		chromedp.WaitVisible(chromedp.ID("timeline")),
	)
	visible := `(function(){ const c = document.querySelector('#timeline details.phrasing .curated'); return !!c && c.closest('details').open && c.checkVisibility(); })()`
	if browsertest.Run(t, ctx, "curated hidden", chromedp.Evaluate[bool](visible)) {
		t.Fatal("the curated text shows before a click")
	}
	browsertest.Do(t, ctx, "open details", chromedp.Click(chromedp.CSS("#timeline details.phrasing summary")))
	browsertest.WaitJS(t, ctx, "curated shown", visible)
	if got := browsertest.Run(t, ctx, "curated text", chromedp.Text(chromedp.CSS("#timeline details.phrasing .curated"))); !strings.Contains(got, curated) {
		t.Errorf("curated text = %q", got)
	}
}
