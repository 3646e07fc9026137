package staff_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/flsps/faqbot/internal/browsertest"
	"github.com/flsps/faqbot/internal/staff"
	"github.com/flsps/faqbot/internal/store"
)

// escalateAt records an escalating inbound text at a given time.
func (e *testEnv) escalateAt(at time.Time, addr, name, body, kind, priority, reply string) *store.Escalation {
	e.t.Helper()
	res, err := e.st.RecordExchange(context.Background(), store.Exchange{
		Channel: store.ChannelSMS, Address: addr, ExternalID: fmt.Sprintf("SM%032d", sidCounter.Add(1)),
		Body: body, Intent: kind, Escalate: &store.NewEscalation{Kind: kind, Priority: priority},
		Reply: reply, At: at,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	if name != "" {
		if err := e.st.SetConversationName(context.Background(), res.Conversation.ID, name); err != nil {
			e.t.Fatal(err)
		}
	}
	return res.Escalation
}

// screenshotPath is where a screenshot goes: docs/screenshots/ when
// FAQBOT_SCREENSHOTS=1 (to refresh the README's images), else a temp dir.
func screenshotPath(t *testing.T, name string) string {
	if os.Getenv("FAQBOT_SCREENSHOTS") == "1" {
		dir := filepath.Join("..", "..", "docs", "screenshots")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return filepath.Join(dir, name)
	}
	return filepath.Join(t.TempDir(), name)
}

// TestBrowserStaffFlow drives the console in real headless Chromium: sign
// in, see escalations (and a new one arrive without a reload), claim,
// reply, watch the delivery status update, add a note, resolve; patient
// text with markup shows as text; a form without its CSRF token is refused.
func TestBrowserStaffFlow(t *testing.T) {
	ctx, _ := browsertest.New(t)
	e := newEnv(t, func(o *staff.Options) { o.RepliesFile = filepath.Join("..", "..", "faq", "staff", "replies.yaml") })
	ctx0 := context.Background()
	e.addStaff(dana, "Dana Ortiz", danaPW, true)
	lee := e.addStaff(lee, "Lee Park", leePW, false)
	now := time.Now()

	// Demo data: an urgent emergency, a booking request, an unknown
	// question someone already has.
	booking := e.escalateAt(now.Add(-47*time.Minute), "+15615550142", "Maria Gonzalez",
		"Hi, can I get a Botox consult with Ashley for my migraines next Tuesday afternoon? Any time after 2 works.", store.KindBooking, store.PriorityNormal,
		"Thanks! Our staff will text you back during office hours to help with your appointment.")
	e.escalateAt(now.Add(-26*time.Minute), "+15615550177", "",
		"Does my insurance cover Botox for TMJ?", store.KindUnknown, store.PriorityNormal,
		"Thanks for your message. I don't have a confident answer to that, so I've passed it to our staff, who will follow up with you.")
	unknown, _ := e.st.Escalations(ctx0, store.EscalationFilter{Status: []string{store.EscOpen}})
	for _, u := range unknown {
		if u.Kind == store.KindUnknown {
			if _, err := e.st.ClaimEscalation(ctx0, u.ID, lee.ID, lee.Name); err != nil {
				t.Fatal(err)
			}
		}
	}
	// That patient writes again: the card shows it, unread.
	if _, err := e.st.RecordExchange(ctx0, store.Exchange{Channel: store.ChannelSMS, Address: "+15615550177",
		ExternalID: fmt.Sprintf("SM%032d", sidCounter.Add(1)), Body: "It's Blue Cross, if that helps", At: now.Add(-3 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	e.escalateAt(now.Add(-4*time.Minute), "+15615550199", "",
		"my eyelid is drooping and it's hard to swallow since my shots yesterday", store.KindEmergency, store.PriorityUrgent,
		"If this is an emergency, call 911 now. Our clinical staff are being alerted and will contact you as soon as possible.")

	base := e.srv.URL
	// Unauthenticated: the inbox sends us to sign in.
	browsertest.Do(t, ctx, "open inbox", chromedp.Navigate(base+"/staff"))
	if loc := browsertest.Run(t, ctx, "location", chromedp.Location()); !strings.Contains(loc, "/staff/login") {
		t.Fatalf("unauthenticated inbox went to %s", loc)
	}
	browsertest.Do(t, ctx, "sign in",
		chromedp.SendKeys(chromedp.ID("email"), dana),
		chromedp.SendKeys(chromedp.ID("password"), danaPW),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("queue")),
	)
	if title := browsertest.Run(t, ctx, "title", chromedp.Title()); title != "(2) Inbox · Florida Spine and Pain Specialists" {
		t.Errorf("title %q, want (2) Inbox · Florida Spine and Pain Specialists (two unclaimed)", title)
	}
	queue := browsertest.Run(t, ctx, "queue", chromedp.Text(chromedp.ID("queue")))
	for _, want := range []string{"Emergency", "Booking request", "Maria Gonzalez · •••0142", "•••0199", "Lee Park", "Unclaimed"} {
		if !strings.Contains(queue, want) {
			t.Errorf("inbox lacks %q:\n%s", want, queue)
		}
	}
	if strings.Contains(queue, "5615550142") {
		t.Error("full number in the inbox")
	}
	first := browsertest.Run(t, ctx, "first item", chromedp.Evaluate[string](`document.querySelector('#queue .item').className`))
	if !strings.Contains(first, "urgent") {
		t.Errorf("first item %q is not the urgent one", first)
	}

	// A new escalation appears without a reload, and the title counts it.
	browsertest.Do(t, ctx, "mark page", chromedp.Evaluate[chromedp.Void](`window.__sameDocument = true`))
	e.escalateAt(time.Now(), "+15615550123", "",
		"Can someone from the front desk call me back? I have a question about my bill.", store.KindHuman, store.PriorityNormal,
		"Sure. A member of our staff will text you back during office hours to help.")
	e.console.Notify()
	browsertest.WaitJS(t, ctx, "live update", `document.title === "(3) Inbox · Florida Spine and Pain Specialists" && document.querySelectorAll('#queue .item').length === 4`)
	if same := browsertest.Run(t, ctx, "same document", chromedp.Evaluate[bool](`window.__sameDocument === true`)); !same {
		t.Error("the page reloaded instead of updating in place")
	}
	shot := browsertest.Run(t, ctx, "inbox screenshot", chromedp.FullScreenshot(100))
	if err := os.WriteFile(screenshotPath(t, "inbox.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}

	// Open the booking request, claim, reply.
	browsertest.Do(t, ctx, "open escalation",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#queue a[data-id="%d"]`, booking.ID))),
		chromedp.WaitVisible(chromedp.ID("timeline")),
	)
	if loc := browsertest.Run(t, ctx, "location", chromedp.Location()); strings.Contains(loc, "5615550142") || strings.Contains(loc, "Maria") {
		t.Errorf("patient data in URL %s", loc)
	}
	browsertest.Do(t, ctx, "claim",
		chromedp.Click(chromedp.ID("claim")),
		chromedp.WaitVisible(chromedp.ID("release")),
	)
	// A saved reply goes into the box; the counter counts texts, and a
	// character outside the GSM alphabet (ó, an emoji) makes them shorter.
	browsertest.Do(t, ctx, "saved reply", chromedp.Evaluate[chromedp.Void](
		`(function(){var s=document.getElementById('canned');s.selectedIndex=1;s.dispatchEvent(new Event('change'))})()`))
	if v := browsertest.Run(t, ctx, "reply box", chromedp.Evaluate[string](`document.getElementById('reply-body').value`)); !strings.HasPrefix(v, "Hi, this is the front desk") {
		t.Errorf("saved reply inserted as %q", v)
	}
	for _, tc := range []struct{ text, want string }{
		{strings.Repeat("a", 160), "160 / 1600 · 1 text"},
		{strings.Repeat("a", 161), "161 / 1600 · 2 texts"},
		{"¿cómo está?" + strings.Repeat("a", 60), "71 / 1600 · 2 texts (special characters: 70 per text)"},
		{"¿como estas?", "12 / 1600 · 1 text"},
		{"ok 🙂", "5 / 1600 · 1 text (special characters"},
	} {
		got := browsertest.Run(t, ctx, "counter", chromedp.Evaluate[string](fmt.Sprintf(
			`(function(){var t=document.getElementById('reply-body');t.value=%q;t.dispatchEvent(new Event('input'));return document.getElementById('reply-count').textContent})()`, tc.text)))
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("counter for %q: %q, want %q", tc.text, got, tc.want)
		}
	}
	browsertest.Do(t, ctx, "clear reply", chromedp.Evaluate[chromedp.Void](`document.getElementById('reply-body').value=''`))
	reply := "Hi Maria, this is Dana at FLSPS. Ashley has Tuesday at 3:30 PM for your migraine Botox consult. Does that work?"
	browsertest.Do(t, ctx, "reply",
		chromedp.SendKeys(chromedp.ID("reply-body"), reply),
		chromedp.Click(chromedp.ID("send-reply")),
	)
	browsertest.WaitJS(t, ctx, "reply queued", `(document.querySelector('.flash-ok') || {textContent: ''}).textContent.includes('Reply queued')`)
	timeline := browsertest.Run(t, ctx, "timeline", chromedp.Text(chromedp.ID("timeline")))
	if !strings.Contains(timeline, reply) || !strings.Contains(timeline, "Queued") || !strings.Contains(timeline, "Dana Ortiz claimed this") {
		t.Fatalf("timeline after reply:\n%s", timeline)
	}
	got, _ := e.st.Escalation(ctx0, booking.ID)
	if got.Status != store.EscClaimed || got.ClaimedByName != "Dana Ortiz" {
		t.Fatalf("escalation after claim: %+v", got)
	}

	// The outbox delivers it; Twilio reports delivery; the patient answers.
	items, err := e.st.ClaimOutbox(ctx0, time.Now().Add(time.Minute), 10, time.Minute)
	if err != nil || len(items) != 1 || items[0].Target != "+15615550142" || items[0].Body != reply {
		t.Fatalf("outbox: %+v %v", items, err)
	}
	if err := e.st.OutboxSent(ctx0, items[0].ID, "SMbrowser0001"); err != nil {
		t.Fatal(err)
	}
	if err := e.st.UpdateMessageStatus(ctx0, "SMbrowser0001", store.MsgDelivered, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.RecordExchange(ctx0, store.Exchange{Channel: store.ChannelSMS, Address: "+15615550142",
		ExternalID: "SMbrowser0002", Body: "Yes, 3:30 works. Thank you!"}); err != nil {
		t.Fatal(err)
	}
	e.console.Notify()
	browsertest.WaitJS(t, ctx, "delivery status and answer", `document.getElementById('timeline').textContent.includes('Delivered') && document.getElementById('timeline').textContent.includes('3:30 works')`)

	browsertest.Do(t, ctx, "note",
		chromedp.SendKeys(chromedp.ID("note-body"), "Booked: Tue 3:30 PM consult with Ashley (migraine)."),
		chromedp.Click(chromedp.ID("add-note")),
	)
	browsertest.WaitJS(t, ctx, "note added", `(document.querySelector('.flash-ok') || {textContent: ''}).textContent.includes('Note added')`)
	browsertest.Do(t, ctx, "choose outcome", chromedp.Click(chromedp.ID("outcome-booked")))
	shot = browsertest.Run(t, ctx, "conversation screenshot", chromedp.FullScreenshot(100))
	if err := os.WriteFile(screenshotPath(t, "conversation.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}

	browsertest.Do(t, ctx, "resolve",
		chromedp.SendKeys(chromedp.ID("resolve-note"), "Confirmed by text."),
		chromedp.Click(chromedp.ID("resolve")),
		chromedp.WaitVisible(chromedp.ID("queue")),
	)
	got, _ = e.st.Escalation(ctx0, booking.ID)
	if got.Status != store.EscResolved || got.Outcome != store.OutcomeBooked {
		t.Fatalf("after resolve: %+v", got)
	}

	// On a phone-sized screen nothing needs sideways scrolling.
	for path, name := range map[string]string{"/staff": "inbox-phone.png", fmt.Sprintf("/staff/escalations/%d", booking.ID): "conversation-phone.png",
		"/staff/audit": ""} {
		browsertest.Do(t, ctx, "narrow "+path,
			chromedp.EmulateViewport(390, 844),
			chromedp.Navigate(base+path),
			chromedp.WaitVisible(chromedp.CSS("main")),
		)
		if over := browsertest.Run(t, ctx, "overflow", chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)); over {
			t.Errorf("%s overflows a 390 px screen", path)
		}
		if name == "conversation-phone.png" {
			// On a phone the conversation comes first, the actions after it.
			if first := browsertest.Run(t, ctx, "order", chromedp.Evaluate[bool](
				`document.getElementById('timeline').getBoundingClientRect().top < document.querySelector('aside.side').getBoundingClientRect().top`)); !first {
				t.Error("on a phone the actions come before the conversation")
			}
		}
		if name != "" {
			shot = browsertest.Run(t, ctx, "narrow screenshot", chromedp.FullScreenshot(100))
			if err := os.WriteFile(screenshotPath(t, name), shot, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	browsertest.Do(t, ctx, "wide again", chromedp.EmulateViewport(1280, 900))

	// Markup from a patient is text, and it does not run.
	xss := e.escalateAt(time.Now(), "+15615550166", "", `<script>alert(1)</script><img src=x onerror="window.__xss=1">`,
		store.KindUnknown, store.PriorityNormal, "")
	browsertest.Do(t, ctx, "open xss escalation",
		chromedp.Navigate(fmt.Sprintf("%s/staff/escalations/%d", base, xss.ID)),
		chromedp.WaitVisible(chromedp.ID("timeline")),
	)
	bubble := browsertest.Run(t, ctx, "bubble", chromedp.Text(chromedp.CSS("#timeline .msg-in .bubble")))
	if !strings.Contains(bubble, "<script>alert(1)</script>") {
		t.Errorf("patient text shown as %q, want the markup as text", bubble)
	}
	if ran := browsertest.Run(t, ctx, "xss", chromedp.Evaluate[bool](`!!window.__xss || document.querySelectorAll('#timeline script, #timeline img').length > 0`)); ran {
		t.Error("patient markup became elements or ran")
	}

	// A form posted without its CSRF token is refused, and nothing changes.
	browsertest.Do(t, ctx, "post without CSRF",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('form[action$="/claim"] input[name=csrf]').remove()`),
		chromedp.Click(chromedp.ID("claim")),
		chromedp.WaitVisible(chromedp.CSS(".error-card")),
	)
	if h := browsertest.Run(t, ctx, "error heading", chromedp.Text(chromedp.CSS(".error-card h1"))); h != "This form has expired" {
		t.Errorf("CSRF refusal page: %q", h)
	}
	if got, _ := e.st.Escalation(ctx0, xss.ID); got.Status != store.EscOpen {
		t.Errorf("claimed without a CSRF token: %s", got.Status)
	}
	status := browsertest.Run(t, ctx, "fetch without token", chromedp.Evaluate[int](
		fmt.Sprintf(`fetch('/staff/escalations/%d/claim', {method: 'POST', credentials: 'same-origin'}).then(r => r.status)`, xss.ID),
		chromedp.EvalAwaitPromise))
	if status != 403 {
		t.Errorf("fetch POST without token: %d, want 403", status)
	}
}
