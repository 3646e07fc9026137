package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"github.com/flsps/faqbot/internal/browsertest"
	"github.com/flsps/faqbot/internal/store"
)

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: timed out", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBrowserFullFlow is the end-to-end path of issue 4 through the whole
// server in real headless Chromium: a patient's booking text arrives through
// the signed Twilio webhook and appears in the open inbox without a reload
// (staff are alerted by SMS through the local Twilio-speaking server); a
// staff member opens it (the patient's markup is text and does not run),
// claims it (the bot goes quiet for the patient), replies (the reply reaches
// the Twilio server), sees Twilio's delivery callback, and resolves it as
// booked. Forms without their CSRF token are refused.
func TestBrowserFullFlow(t *testing.T) {
	ctx0 := context.Background()
	e := start(t, "")
	e.runWorkers()
	// Open event streams would keep the HTTP test server's Close waiting;
	// cleanups run last-registered first, so this runs after the browser
	// quits and before the server closes.
	t.Cleanup(e.srv.CloseStreams)
	st := e.srv.Store()

	const (
		email    = "dana@example.com"
		password = "correct horse battery"
		patient  = "+15615550142"
		text     = "hi can i book botox for my migraines next tuesday afternoon <script>alert(1)</script>"
		reply    = "Hi, this is Dana at FLSPS. Ashley has Tuesday at 3:30 PM for your consult. Does that work?"
	)
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateStaff(ctx0, email, "Dana Ortiz", string(hash), false); err != nil {
		t.Fatal(err)
	}

	ctx, dialogs := browsertest.New(t)
	base := e.http.URL

	// Sign in (the inbox sends an unauthenticated browser there).
	browsertest.Do(t, ctx, "open inbox", chromedp.Navigate(base+"/staff"))
	if loc := browsertest.Run(t, ctx, "location", chromedp.Location()); !strings.Contains(loc, "/staff/login") {
		t.Fatalf("unauthenticated inbox went to %s", loc)
	}
	browsertest.Do(t, ctx, "sign in",
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("queue")),
	)
	if n := browsertest.Run(t, ctx, "queue items", chromedp.Evaluate[int](`document.querySelectorAll('#queue .item').length`)); n != 0 {
		t.Fatalf("%d items in a fresh inbox", n)
	}

	// The patient texts while the inbox is open.
	browsertest.Do(t, ctx, "mark page", chromedp.Evaluate[chromedp.Void](`window.__sameDocument = true`))
	code, ack := e.sms(patient, text)
	if code != http.StatusOK || ack == "" {
		t.Fatalf("webhook: %d %q", code, ack)
	}
	if strings.Contains(ack, "<script>") {
		t.Errorf("the bot echoed the patient's markup: %q", ack)
	}
	open := e.escalations(store.EscOpen)
	if len(open) != 1 || open[0].Kind != store.KindBooking {
		t.Fatalf("after the booking text, open escalations: %+v", open)
	}
	esc := open[0]
	browsertest.WaitJS(t, ctx, "the new escalation in the inbox",
		fmt.Sprintf(`document.querySelector('#queue a.item[data-id="%d"]') && document.title.startsWith('(1) ')`, esc.ID))
	if !browsertest.Run(t, ctx, "same document", chromedp.Evaluate[bool](`window.__sameDocument === true`)) {
		t.Error("the inbox reloaded instead of updating in place")
	}
	queue := browsertest.Run(t, ctx, "queue text", chromedp.Text(chromedp.ID("queue")))
	for _, want := range []string{"Booking request", "•••0142", "Unclaimed"} {
		if !strings.Contains(queue, want) {
			t.Errorf("inbox lacks %q:\n%s", want, queue)
		}
	}
	if strings.Contains(queue, "5615550142") {
		t.Error("full patient number in the inbox")
	}
	if n := browsertest.Run(t, ctx, "markup in queue", chromedp.Evaluate[int](`document.querySelectorAll('#queue script, #queue img').length`)); n != 0 {
		t.Errorf("patient markup became %d elements in the inbox", n)
	}

	// Staff are alerted by SMS through Twilio, without the patient's words.
	alerts := e.twilio.WaitForMessages(1, 5*time.Second)
	if len(alerts) != 1 || alerts[0].To != "+15615550199" {
		t.Fatalf("staff alert: %+v", alerts)
	}
	if !strings.Contains(alerts[0].Body, fmt.Sprint(esc.ID)) || strings.Contains(alerts[0].Body, "migraines") || strings.Contains(alerts[0].Body, "<script>") {
		t.Errorf("staff alert should name the escalation and carry no patient text: %q", alerts[0].Body)
	}

	// Open it: the whole message, markup as text.
	browsertest.Do(t, ctx, "open escalation",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#queue a.item[data-id="%d"]`, esc.ID))),
		chromedp.WaitVisible(chromedp.ID("timeline")),
	)
	if loc := browsertest.Run(t, ctx, "location", chromedp.Location()); strings.Contains(loc, "5615550142") || strings.Contains(loc, "migraine") {
		t.Errorf("patient data in the URL %s", loc)
	}
	bubble := browsertest.Run(t, ctx, "patient bubble", chromedp.Text(chromedp.CSS("#timeline .msg-in .bubble")))
	if bubble != text {
		t.Errorf("patient text shown as %q, want %q", bubble, text)
	}
	if n := browsertest.Run(t, ctx, "markup in timeline", chromedp.Evaluate[int](`document.querySelectorAll('#timeline script, #timeline img').length`)); n != 0 {
		t.Errorf("patient markup became %d elements in the timeline", n)
	}
	if n := browsertest.Run(t, ctx, "bot answer", chromedp.Evaluate[int](`document.querySelectorAll('#timeline .msg-bot').length`)); n != 1 {
		t.Errorf("%d bot messages in the timeline, want the booking acknowledgement", n)
	}

	// Claim it; the bot then leaves the patient to staff.
	browsertest.Do(t, ctx, "claim",
		chromedp.Click(chromedp.ID("claim")),
		chromedp.WaitVisible(chromedp.ID("release")),
	)
	if got, err := st.Escalation(ctx0, esc.ID); err != nil || got.Status != store.EscClaimed || got.ClaimedByName != "Dana Ortiz" {
		t.Fatalf("after claim: %+v %v", got, err)
	}
	browsertest.Do(t, ctx, "mark page", chromedp.Evaluate[chromedp.Void](`window.__sameDocument = true`))
	if code, r := e.sms(patient, "ok thanks, what times do you have?"); code != http.StatusOK || r != "" {
		t.Errorf("during the handoff the bot answered: %d %q", code, r)
	}
	browsertest.WaitJS(t, ctx, "the patient's follow-up in the open conversation",
		`document.getElementById('timeline').textContent.includes('what times do you have')`)
	if !browsertest.Run(t, ctx, "same document", chromedp.Evaluate[bool](`window.__sameDocument === true`)) {
		t.Error("the conversation reloaded instead of updating in place")
	}

	// Reply; the outbox sends it through Twilio to the patient.
	browsertest.Do(t, ctx, "reply",
		chromedp.SendKeys(chromedp.ID("reply-body"), reply),
		chromedp.Click(chromedp.ID("send-reply")),
	)
	browsertest.WaitJS(t, ctx, "reply queued", `(document.querySelector('.flash-ok') || {textContent: ''}).textContent.includes('Reply queued')`)
	sent := e.twilio.WaitForMessages(2, 5*time.Second)
	if len(sent) != 2 {
		t.Fatalf("Twilio got %d messages, want the alert and the reply: %+v", len(sent), sent)
	}
	out := sent[1]
	if out.To != patient || out.Body != reply || out.From != e.cfg.TwilioFrom {
		t.Fatalf("reply at Twilio: to %q from %q body %q", out.To, out.From, out.Body)
	}
	if out.StatusCallback != base+"/twilio/status" {
		t.Errorf("reply's StatusCallback %q, want %q", out.StatusCallback, base+"/twilio/status")
	}
	// The worker records Twilio's SID after Twilio answered; only then can
	// a callback find the message.
	waitFor(t, "the outbox to record the send", 5*time.Second, func() bool {
		p, _, err := st.OutboxStats(ctx0)
		return err == nil && p == 0
	})

	// Twilio reports delivery; the open page shows it by itself.
	browsertest.Do(t, ctx, "mark page", chromedp.Evaluate[chromedp.Void](`window.__sameDocument = true`))
	if err := e.twilio.SendStatus(ctx0, base+"/twilio/status", authToken, out.SID, "delivered"); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitJS(t, ctx, "delivery status",
		`Array.from(document.querySelectorAll('#timeline .msg-staff')).some(li => li.textContent.includes('Tuesday at 3:30') && li.textContent.includes('Delivered'))`)
	if !browsertest.Run(t, ctx, "same document", chromedp.Evaluate[bool](`window.__sameDocument === true`)) {
		t.Error("the conversation reloaded instead of updating in place")
	}

	// Resolve as booked.
	browsertest.Do(t, ctx, "resolve",
		chromedp.Click(chromedp.ID("outcome-booked")),
		chromedp.SendKeys(chromedp.ID("resolve-note"), "Booked Tue 3:30 PM."),
		chromedp.Click(chromedp.ID("resolve")),
		chromedp.WaitVisible(chromedp.ID("queue")),
	)
	got, err := st.Escalation(ctx0, esc.ID)
	if err != nil || got.Status != store.EscResolved || got.Outcome != store.OutcomeBooked {
		t.Fatalf("after resolve: %+v %v", got, err)
	}
	browsertest.WaitJS(t, ctx, "empty inbox", `document.querySelectorAll('#queue .item').length === 0 && !document.title.startsWith('(')`)

	// CSRF: a form posted without its token is refused, and nothing changes.
	browsertest.Do(t, ctx, "open resolved escalation",
		chromedp.Navigate(fmt.Sprintf("%s/staff/escalations/%d", base, esc.ID)),
		chromedp.WaitVisible(chromedp.ID("reopen")),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('form[action$="/reopen"] input[name=csrf]').remove()`),
		chromedp.Click(chromedp.ID("reopen")),
		chromedp.WaitVisible(chromedp.CSS(".error-card")),
	)
	if h := browsertest.Run(t, ctx, "error heading", chromedp.Text(chromedp.CSS(".error-card h1"))); h != "This form has expired" {
		t.Errorf("CSRF refusal page: %q", h)
	}
	for name, init := range map[string]string{
		"no token":    `{method: 'POST', credentials: 'same-origin'}`,
		"wrong token": `{method: 'POST', credentials: 'same-origin', headers: {'Content-Type': 'application/x-www-form-urlencoded'}, body: 'csrf=forged'}`,
	} {
		status := browsertest.Run(t, ctx, "fetch "+name, chromedp.Evaluate[int](
			fmt.Sprintf(`fetch('/staff/escalations/%d/reopen', %s).then(r => r.status)`, esc.ID, init),
			chromedp.EvalAwaitPromise))
		if status != http.StatusForbidden {
			t.Errorf("POST with %s: %d, want 403", name, status)
		}
	}
	if got, _ := st.Escalation(ctx0, esc.ID); got.Status != store.EscResolved {
		t.Errorf("reopened without a CSRF token: %s", got.Status)
	}
	// The sign-in form checks its token too.
	resp, err := http.PostForm(base+"/staff/login", url.Values{"email": {email}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in without a CSRF token: %d, want 403", resp.StatusCode)
	}

	if n := dialogs.Load(); n != 0 {
		t.Errorf("the pages opened %d JavaScript dialogs (patient markup ran?)", n)
	}
	if n := len(e.twilio.Messages()); n != 2 {
		t.Errorf("Twilio got %d messages, want the alert and the reply", n)
	}
}
