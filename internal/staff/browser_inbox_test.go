package staff_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/flsps/faqbot/internal/browsertest"
	"github.com/flsps/faqbot/internal/outbox"
	"github.com/flsps/faqbot/internal/sms"
	"github.com/flsps/faqbot/internal/staff"
	"github.com/flsps/faqbot/internal/store"
	"github.com/flsps/faqbot/internal/twiliotest"
)

// signIn signs in through the page in the browser.
func signIn(t *testing.T, ctx context.Context, base, email, pw string) {
	t.Helper()
	browsertest.Do(t, ctx, "sign in",
		chromedp.Navigate(base+"/staff/login"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), pw),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("queue")),
	)
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return browsertest.Run(t, ctx, "text of "+sel, chromedp.Evaluate[string](
		fmt.Sprintf(`(document.querySelector(%q) || {textContent: ''}).textContent`, sel)))
}

// A patient's follow-up on a claimed escalation bumps its card to the top
// of the open inbox, live, with an unread mark that clears once opened. The
// conversation page shows the full number and a call link (lists keep it
// masked), and each opening of it is audited once, not its live refreshes.
func TestBrowserFollowUpBumpsCardLive(t *testing.T) {
	ctx, _ := browsertest.New(t)
	e := newEnv(t)
	u := e.addStaff(dana, "Dana Ortiz", danaPW, false)
	now := time.Now()
	older := e.escalateAt(now.Add(-40*time.Minute), "+15615550111", "", "Can I book a consult for Tuesday?", store.KindBooking, store.PriorityNormal, "")
	newer := e.escalateAt(now.Add(-20*time.Minute), "+15615550122", "Margaret Collins", "Does insurance cover it?", store.KindUnknown, store.PriorityNormal, "")
	if _, err := e.st.ClaimEscalation(context.Background(), newer.ID, u.ID, "Dana Ortiz"); err != nil {
		t.Fatal(err)
	}
	base := e.srv.URL
	signIn(t, ctx, base, dana, danaPW)
	first := func() string {
		return browsertest.Run(t, ctx, "first", chromedp.Evaluate[string](`document.querySelector('#queue .item').getAttribute('data-id')`))
	}
	if got := first(); got != fmt.Sprint(older.ID) {
		t.Fatalf("first card %s, want the older %d", got, older.ID)
	}
	browsertest.Do(t, ctx, "mark page", chromedp.Evaluate[chromedp.Void](`window.__sameDocument = true`))
	if _, err := e.st.RecordExchange(context.Background(), store.Exchange{Channel: store.ChannelSMS, Address: "+15615550122",
		ExternalID: fmt.Sprintf("SM%032d", sidCounter.Add(1)), Body: "Hello? Still waiting to hear about my insurance"}); err != nil {
		t.Fatal(err)
	}
	e.console.Notify()
	bumped := fmt.Sprintf(`#queue .item[data-id="%d"]`, newer.ID)
	browsertest.WaitJS(t, ctx, "bump", fmt.Sprintf(`(function(){var c=document.querySelector('#queue .item');return c && c.getAttribute('data-id')==='%d' && c.classList.contains('unread')})()`, newer.ID))
	card := text(t, ctx, bumped)
	for _, want := range []string{"New message", "Still waiting to hear about my insurance", "20 min", "waiting, claimed just now", "Margaret Collins"} {
		if !strings.Contains(card, want) {
			t.Errorf("bumped card lacks %q: %s", want, card)
		}
	}
	if !browsertest.Run(t, ctx, "same document", chromedp.Evaluate[bool](`window.__sameDocument === true`)) {
		t.Error("the page reloaded instead of updating in place")
	}
	// Emergency alerts are opt-in; once on, a new emergency sets them off.
	browsertest.Do(t, ctx, "alerts on", chromedp.Click(chromedp.ID("alerts-toggle")))
	if on := text(t, ctx, "#alerts-toggle"); on != "Emergency alerts: on" {
		t.Errorf("toggle says %q", on)
	}
	e.escalateAt(time.Now(), "+15615550188", "", "i cant breathe", store.KindEmergency, store.PriorityUrgent, "")
	e.console.Notify()
	browsertest.WaitJS(t, ctx, "emergency alert", `window.__emergencyAlerts === 1 && localStorage.getItem('faqbot.emergencyAlerts') === '1'`)
	// Opening it clears the mark; it stays "Patient replied" until answered.
	if q := text(t, ctx, "#queue"); strings.Contains(q, "5615550122") || strings.Contains(q, "555-0122") || !strings.Contains(q, "•••0122") {
		t.Errorf("inbox shows %q", q)
	}
	// Clicked through the DOM, not at the card's position: a live refresh
	// (the emergency's) may still be re-ordering the queue.
	browsertest.Do(t, ctx, "open", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector('#queue a[data-id="%d"]').click()`, newer.ID)),
		chromedp.WaitVisible(chromedp.ID("call-link")))
	href := browsertest.Run(t, ctx, "href", chromedp.Evaluate[string](`document.getElementById('call-link').getAttribute('href')`))
	if href != "tel:+15615550122" {
		t.Errorf("call link %q", href)
	}
	if n := text(t, ctx, "#phone-number"); n != "+1 (561) 555-0122" {
		t.Errorf("number shown %q", n)
	}
	e.console.Notify() // a live refresh of the open page
	time.Sleep(300 * time.Millisecond)
	views := 0
	entries, _ := e.st.AuditLog(context.Background(), 100)
	for _, en := range entries {
		if en.Action == "view" && en.Detail == "number shown" && en.ActorName == "Dana Ortiz" {
			views++
		}
	}
	if views != 1 {
		t.Errorf("%d audited openings, want 1", views)
	}
	browsertest.Do(t, ctx, "back", chromedp.Navigate(base+"/staff"), chromedp.WaitVisible(chromedp.ID("queue")))
	if cls := browsertest.Run(t, ctx, "class", chromedp.Evaluate[string](`document.querySelector('`+bumped+`').className`)); strings.Contains(cls, "unread") || !strings.Contains(cls, "replied") {
		t.Errorf("after opening: %q", cls)
	}
}

// Search by number, name or text; filters by kind, urgent, mine and
// unclaimed; pages of 25; truthful empty states.
func TestBrowserSearchFiltersAndPages(t *testing.T) {
	ctx, _ := browsertest.New(t)
	e := newEnv(t)
	e.addStaff(dana, "Dana Ortiz", danaPW, false)
	now := time.Now()
	for i := 0; i < 26; i++ {
		e.escalateAt(now.Add(time.Duration(i-60)*time.Minute), fmt.Sprintf("+1561555%04d", 2000+i), "",
			fmt.Sprintf("Booking question number %d", i), store.KindBooking, store.PriorityNormal, "")
	}
	e.escalateAt(now.Add(-5*time.Minute), "+15615550145", "Margaret Collins", "What does the consult cost?", store.KindUnknown, store.PriorityNormal, "")
	urgent := e.escalateAt(now.Add(-2*time.Minute), "+15615550199", "", "my throat feels tight since the shots", store.KindEmergency, store.PriorityUrgent, "")
	base := e.srv.URL
	signIn(t, ctx, base, dana, danaPW)
	count := func() int {
		return browsertest.Run(t, ctx, "count", chromedp.Evaluate[int](`document.querySelectorAll('#queue .item').length`))
	}
	if n, p := count(), text(t, ctx, "#pager"); n != 25 || !strings.Contains(p, "1–25 of 28") {
		t.Fatalf("first page: %d items, pager %q", n, p)
	}
	browsertest.Do(t, ctx, "next page", chromedp.Click(chromedp.ID("next-page")), chromedp.WaitVisible(chromedp.ID("prev-page")))
	if n, p := count(), text(t, ctx, "#pager"); n != 3 || !strings.Contains(p, "26–28 of 28") {
		t.Fatalf("second page: %d items, pager %q", n, p)
	}
	search := func(q string) {
		browsertest.Do(t, ctx, "search "+q,
			chromedp.Navigate(base+"/staff"), chromedp.WaitVisible(chromedp.ID("q")),
			chromedp.SendKeys(chromedp.ID("q"), q), chromedp.Click(chromedp.ID("search")),
			chromedp.WaitVisible(chromedp.ID("clear-filters")))
	}
	for q, want := range map[string]string{"margaret": "Margaret Collins", "0145": "Margaret Collins", "(561) 555-0199": "Emergency", "throat feels": "Emergency"} {
		search(q)
		if n, q2 := count(), text(t, ctx, "#queue"); n != 1 || !strings.Contains(q2, want) {
			t.Errorf("search %q: %d items: %s", q, n, q2)
		}
	}
	search("nothing like this")
	if em := text(t, ctx, "#empty"); !strings.Contains(em, "Nothing matches “nothing like this”") {
		t.Errorf("empty search: %q", em)
	}
	browsertest.Do(t, ctx, "urgent filter", chromedp.Navigate(base+"/staff"), chromedp.WaitVisible(chromedp.ID("f-urgent")),
		chromedp.Click(chromedp.ID("f-urgent")), chromedp.Click(chromedp.ID("search")), chromedp.WaitVisible(chromedp.ID("clear-filters")))
	if n, first := count(), browsertest.Run(t, ctx, "id", chromedp.Evaluate[string](`document.querySelector('#queue .item').getAttribute('data-id')`)); n != 1 || first != fmt.Sprint(urgent.ID) {
		t.Errorf("urgent filter: %d items, first %s", n, first)
	}
	browsertest.Do(t, ctx, "kind filter", chromedp.Navigate(base+"/staff?kind=unknown"), chromedp.WaitVisible(chromedp.ID("queue")))
	if n := count(); n != 1 {
		t.Errorf("kind filter: %d", n)
	}
	browsertest.Do(t, ctx, "mine", chromedp.Navigate(base+"/staff?mine=1"), chromedp.WaitVisible(chromedp.ID("queue")))
	if em := text(t, ctx, "#empty"); !strings.Contains(em, "Mine: nothing is claimed by you; 28 escalations are waiting for anyone.") {
		t.Errorf("mine empty state: %q", em)
	}
	e.client().mustLogin(dana, danaPW)
	if _, err := e.st.ClaimEscalation(context.Background(), urgent.ID, 999, "Someone"); err != nil {
		t.Fatal(err)
	}
	browsertest.Do(t, ctx, "unclaimed", chromedp.Navigate(base+"/staff?unclaimed=1&urgent=1"), chromedp.WaitVisible(chromedp.ID("queue")))
	if em := text(t, ctx, "#empty"); !strings.Contains(em, "Nothing matches these filters. 27 escalations are waiting for anyone.") {
		t.Errorf("unclaimed+urgent empty state: %q", em)
	}
	// The urgent count stays while the emergency is claimed.
	if c := text(t, ctx, "#counts"); !strings.Contains(c, "1 urgent") || !strings.Contains(c, "27 waiting") {
		t.Errorf("counts %q", c)
	}
}

// An attacker's wrong passwords do not stop the owner's correct sign-in,
// and the page says when a held-up device may try again.
func TestBrowserSignInLimit(t *testing.T) {
	ctx, _ := browsertest.New(t)
	e := newEnv(t, func(o *staff.Options) { o.TrustProxy = true })
	e.advance(0) // stop the clock: a wait ends only when the test moves it
	e.addStaff(dana, "Dana Ortiz", danaPW, false)
	attacker := e.client()
	for i := 0; i < 40; i++ {
		attacker.loginVia([]string{"203.0.113.66"}, dana, fmt.Sprintf("guess %d", i))
	}
	base := e.srv.URL
	// The owner, at the front desk (another address), makes typos...
	for i := 0; i < 6; i++ {
		browsertest.Do(t, ctx, "wrong password",
			chromedp.Navigate(base+"/staff/login"), chromedp.WaitVisible(chromedp.ID("email")),
			chromedp.SendKeys(chromedp.ID("email"), dana), chromedp.SendKeys(chromedp.ID("password"), "typo typo"),
			chromedp.Click(chromedp.ID("sign-in")), chromedp.WaitVisible(chromedp.ID("login-error")))
	}
	if msg := text(t, ctx, "#login-error"); !strings.Contains(msg, "Try again in 2 seconds (at ") {
		t.Errorf("sixth typo: %q", msg)
	}
	// The sign-in page names the clinic and speaks to staff.
	if title := browsertest.Run(t, ctx, "title", chromedp.Title()); title != "Sign in · Florida Spine and Pain Specialists" {
		t.Errorf("title %q", title)
	}
	if p := text(t, ctx, "#login-form"); strings.Contains(p, "faqbot") || !strings.Contains(p, "Florida Spine and Pain Specialists") {
		t.Errorf("sign-in page: %q", p)
	}
	e.advance(2 * time.Second)
	signIn(t, ctx, base, dana, danaPW)
}

// While Twilio answers 503 the thread says "Retrying (attempt N, last
// error …)" rather than "Queued". Twilio refuses a staff reply with 21610
// (the patient unsubscribed with their carrier): the patient is marked
// opted out, the reply box closes and the thread says so in plain words.
func TestBrowserRetryAnd21610OptOut(t *testing.T) {
	ctx, _ := browsertest.New(t)
	e := newEnv(t)
	e.addStaff(dana, "Dana Ortiz", danaPW, false)
	tw := twiliotest.NewServer(t)
	sender, err := sms.NewSender(sms.SenderConfig{APIURL: tw.URL(), AccountSID: tw.AccountSID(), AuthToken: tw.AuthToken(), From: "+15615550100"})
	if err != nil {
		t.Fatal(err)
	}
	w := &outbox.Worker{Store: e.st, SendSMS: sender.Send, Permanent: sms.IsPermanent, Unsubscribed: sms.IsUnsubscribed,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), OnChange: e.console.Notify, BaseBackoff: time.Millisecond}
	base := e.srv.URL
	signIn(t, ctx, base, dana, danaPW)

	retried := e.escalate("+15615550177", "Can I book a consult?", store.KindBooking, store.PriorityNormal)
	if _, err := e.st.QueueStaffReply(context.Background(), retried.ID, 0, "api:test", "Tuesday at 10?"); err != nil {
		t.Fatal(err)
	}
	tw.FailNext(2, 503)
	browsertest.Do(t, ctx, "open", chromedp.Navigate(fmt.Sprintf("%s/staff/escalations/%d", base, retried.ID)), chromedp.WaitVisible(chromedp.ID("timeline")))
	w.RunOnce(context.Background())
	time.Sleep(5 * time.Millisecond)
	w.RunOnce(context.Background())
	browsertest.WaitJS(t, ctx, "retrying", `document.getElementById('timeline').textContent.includes('Retrying (attempt 3, last error: Twilio is unavailable for the moment)')`)

	esc := e.escalate("+15615550145", "Can I book a consult?", store.KindBooking, store.PriorityNormal)
	tw.RejectTo("+15615550145", 21610)
	browsertest.Do(t, ctx, "reply",
		chromedp.Navigate(fmt.Sprintf("%s/staff/escalations/%d", base, esc.ID)), chromedp.WaitVisible(chromedp.ID("reply-body")),
		chromedp.SendKeys(chromedp.ID("reply-body"), "Hi, we have Tuesday at 10. Does that work?"),
		chromedp.Click(chromedp.ID("send-reply")))
	browsertest.WaitJS(t, ctx, "queued", `(document.querySelector('.flash-ok') || {textContent: ''}).textContent.includes('Reply queued')`)
	time.Sleep(5 * time.Millisecond) // past the retried item's backoff: it goes out too
	w.RunOnce(context.Background())
	browsertest.WaitJS(t, ctx, "failure shown", `document.getElementById('timeline').textContent.includes('Failed: This patient has opted out of texts; call them instead')`)
	browsertest.Do(t, ctx, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("opted-out")))
	if n := browsertest.Run(t, ctx, "reply box", chromedp.Evaluate[int](`document.querySelectorAll('textarea#reply-body:not([readonly])').length`)); n != 0 {
		t.Error("the reply box is still open for an opted-out patient")
	}
	if tl := text(t, ctx, "#timeline"); strings.Contains(tl, "http") || strings.Contains(tl, "ApiError") {
		t.Errorf("raw Twilio error shown: %s", tl)
	}
	conv, _ := e.st.ConversationByID(context.Background(), esc.ConversationID)
	if !conv.OptedOut {
		t.Fatal("patient not opted out in the store")
	}
}
