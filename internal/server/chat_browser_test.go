package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"github.com/flsps/faqbot/internal/bot"
	"github.com/flsps/faqbot/internal/browsertest"
	"github.com/flsps/faqbot/internal/store"
)

// shadow selects an element inside the chat widget's shadow root.
func shadow(css string) chromedp.JSPath {
	return chromedp.JSPath(`document.querySelector('#faqbot-chat').shadowRoot.querySelector('` + css + `')`)
}

// widgetJS is a JavaScript expression over the widget's shadow root R.
func widgetJS(expr string) string {
	return `(() => { const h = document.querySelector('#faqbot-chat'); const R = h && h.shadowRoot; if (!R) return false; return (` + expr + `); })()`
}

// chatScreenshot is where a screenshot goes: docs/screenshots/ when
// FAQBOT_SCREENSHOTS=1 (to refresh the README's images), else a temp dir.
func chatScreenshot(t *testing.T, name string, png []byte) {
	t.Helper()
	dir := t.TempDir()
	if os.Getenv("FAQBOT_SCREENSHOTS") == "1" {
		dir = filepath.Join("..", "..", "docs", "screenshots")
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserWebChat is issue 13's end-to-end path in real headless
// Chromium through the whole server: the demo page at / shows the widget;
// a patient asks "how long does botox last" and gets the curated answer,
// asks to book, leaves a name and mobile number with consent, and the
// escalation appears in the staff inbox carrying them with the chat thread;
// a staff reply typed in the console appears in the open widget without a
// reload (and is texted to the number through the local Twilio server).
// Along the way: keyboard use (Enter sends, Escape closes and returns
// focus), the page's styles and the widget's do not mix, Spanish follows the
// browser's language or the patient's first message, and a phone-sized screen gets a full-screen
// panel with no sideways scrolling.
func TestBrowserWebChat(t *testing.T) {
	ctx0 := context.Background()
	e := start(t, "")
	e.runWorkers()
	t.Cleanup(e.srv.CloseStreams)
	st := e.srv.Store()
	const (
		email    = "dana@example.com"
		password = "correct horse battery"
		reply    = "Hi Maria, this is Dana at FLSPS. Ashley can see you Tuesday at 3:30 PM. Does that work?"
	)
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateStaff(ctx0, email, "Dana Ortiz", string(hash), false); err != nil {
		t.Fatal(err)
	}
	curated := e.srv.Service().Engine().Decide("how long does botox last", bot.Context{})
	if curated.FAQID != "botox-duration" {
		t.Fatalf("the engine answers %q with %q", "how long does botox last", curated.FAQID)
	}

	ctx, dialogs := browsertest.New(t)
	base := e.http.URL

	// The demo page, with the page's own (uppercase) button styles.
	browsertest.Do(t, ctx, "open demo page", chromedp.Navigate(base+"/"))
	browsertest.WaitJS(t, ctx, "the widget", widgetJS(`R.querySelector('.launcher') !== null`))
	if tt := browsertest.Run(t, ctx, "page button style", chromedp.Evaluate[string](`getComputedStyle(document.getElementById('host-button')).textTransform`)); tt != "uppercase" {
		t.Errorf("the widget changed the page's button style: text-transform %q", tt)
	}
	style := browsertest.Run(t, ctx, "widget style", chromedp.Evaluate[string](widgetJS(
		`getComputedStyle(R.querySelector('.launcher')).textTransform + '|' + getComputedStyle(R.querySelector('.launcher')).fontFamily`)))
	if strings.HasPrefix(style, "uppercase") || strings.Contains(style, "Georgia") {
		t.Errorf("the page's styles reach the widget: %s", style)
	}
	if l := browsertest.Run(t, ctx, "launcher label", chromedp.Evaluate[string](widgetJS(`R.querySelector('.launcher').getAttribute('aria-label')`))); l != "Chat with us" {
		t.Errorf("launcher aria-label %q", l)
	}

	// Open it with a real click; the message box has the focus.
	browsertest.Do(t, ctx, "open the chat", chromedp.Click(shadow(".launcher")))
	browsertest.WaitJS(t, ctx, "the open panel", widgetJS(`!R.getElementById('panel').hidden && R.activeElement && R.activeElement.id === 'text' && R.querySelector('.launcher').getAttribute('aria-expanded') === 'true'`))

	// Ask; Enter sends.
	browsertest.Do(t, ctx, "ask", chromedp.SendKeys(shadow("#text"), "how long does botox last\r"))
	browsertest.WaitJS(t, ctx, "the curated answer",
		widgetJS(fmt.Sprintf(`Array.from(R.querySelectorAll('.m-bot .b')).some(b => b.textContent === %q)`, curated.Reply)))

	// Ask to book: the hand-off form appears, focused on the name.
	browsertest.Do(t, ctx, "ask to book", chromedp.SendKeys(shadow("#text"), "I'd like to book an appointment please\r"))
	browsertest.WaitJS(t, ctx, "the contact form", widgetJS(`!R.getElementById('contact').hidden && R.activeElement && R.activeElement.id === 'name'`))
	open := e.escalations(store.EscOpen)
	if len(open) != 1 || open[0].Kind != store.KindBooking || open[0].Channel != store.ChannelWeb {
		t.Fatalf("after asking to book, open escalations: %+v", open)
	}
	esc := open[0]

	// Without the consent box ticked nothing is sent.
	browsertest.Do(t, ctx, "fill the form",
		chromedp.SendKeys(shadow("#name"), "Maria Lopez"),
		chromedp.SendKeys(shadow("#phone"), "(561) 555-0142"),
		chromedp.Click(shadow("#contact-send")),
	)
	browsertest.WaitJS(t, ctx, "the consent reminder", widgetJS(`R.getElementById('contact-error').textContent.includes('tick the box')`))
	if got, _ := st.Escalation(ctx0, esc.ID); got.ContactPhone != "" {
		t.Fatal("a number was recorded without consent")
	}
	browsertest.Do(t, ctx, "consent and send",
		chromedp.Click(shadow("#consent")),
		chromedp.Click(shadow("#contact-send")),
	)
	browsertest.WaitJS(t, ctx, "the thanks", widgetJS(`R.getElementById('contact').hidden && R.getElementById('log').textContent.includes('Thanks, Maria Lopez')`))
	got, err := st.Escalation(ctx0, esc.ID)
	if err != nil || got.PatientName != "Maria Lopez" || got.ContactPhone != "+15615550142" {
		t.Fatalf("the escalation does not carry the contact: %+v %v", got, err)
	}
	chatScreenshot(t, "chat-desktop.png", browsertest.Run(t, ctx, "desktop screenshot", chromedp.CaptureScreenshot()))

	// Staff, in another tab: the inbox shows the web patient by name and
	// masked number; the escalation has the chat thread and the contact.
	staffCtx, closeStaff := chromedp.NewContext(ctx)
	defer closeStaff()
	browsertest.Do(t, staffCtx, "sign in",
		chromedp.Navigate(base+"/staff"),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("queue")),
	)
	browsertest.WaitJS(t, staffCtx, "the web escalation in the inbox", fmt.Sprintf(`document.querySelector('#queue a.item[data-id="%d"]')`, esc.ID))
	queue := browsertest.Run(t, staffCtx, "queue text", chromedp.Text(chromedp.ID("queue")))
	for _, want := range []string{"Booking request", "Maria Lopez", "•••0142"} {
		if !strings.Contains(queue, want) {
			t.Errorf("inbox lacks %q:\n%s", want, queue)
		}
	}
	if strings.Contains(queue, "5615550142") {
		t.Error("full patient number in the inbox")
	}
	browsertest.Do(t, staffCtx, "open escalation",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#queue a.item[data-id="%d"]`, esc.ID))),
		chromedp.WaitVisible(chromedp.ID("timeline")),
	)
	thread := browsertest.Run(t, staffCtx, "thread", chromedp.Text(chromedp.ID("timeline")))
	for _, want := range []string{"how long does botox last", curated.Reply, "book an appointment", "Maria Lopez left mobile …0142 and agreed to be texted"} {
		if !strings.Contains(thread, want) {
			t.Errorf("the staff thread lacks %q:\n%s", want, thread)
		}
	}
	if head := browsertest.Run(t, staffCtx, "header", chromedp.Text(chromedp.ID("esc-head"))); !strings.Contains(head, "Web chat") {
		t.Errorf("the header does not say web chat: %s", head)
	}

	// The widget tab stays as it is while staff reply.
	browsertest.Do(t, ctx, "mark page", chromedp.Evaluate[chromedp.Void](`window.__sameDocument = true`))
	browsertest.Do(t, staffCtx, "reply",
		chromedp.SendKeys(chromedp.ID("reply-body"), reply),
		chromedp.Click(chromedp.ID("send-reply")),
	)
	browsertest.WaitJS(t, staffCtx, "reply queued", `(document.querySelector('.flash-ok') || {textContent: ''}).textContent.includes('Reply queued')`)
	browsertest.WaitJS(t, ctx, "the staff reply in the widget",
		widgetJS(fmt.Sprintf(`Array.from(R.querySelectorAll('.m-staff .b')).some(b => b.textContent === %q)`, reply)))
	if !browsertest.Run(t, ctx, "same document", chromedp.Evaluate[bool](`window.__sameDocument === true`)) {
		t.Error("the demo page reloaded instead of the reply arriving live")
	}
	browsertest.Do(t, staffCtx, "reload the conversation", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("timeline")))
	chatScreenshot(t, "chat-staff.png", browsertest.Run(t, staffCtx, "staff screenshot", chromedp.CaptureScreenshot()))
	// It is also texted to the number the patient left (after the staff
	// alert SMS).
	sent := e.twilio.WaitForMessages(2, 5*time.Second)
	if len(sent) != 2 || sent[1].To != "+15615550142" || sent[1].Body != reply {
		t.Errorf("Twilio got %+v, want the staff alert and the reply to +15615550142", sent)
	}

	// Escape closes the panel and gives the focus back to the button.
	browsertest.Do(t, ctx, "escape", chromedp.SendKeys(shadow("#text"), "\x1b"))
	browsertest.WaitJS(t, ctx, "closed panel", widgetJS(`R.getElementById('panel').hidden && R.activeElement === R.querySelector('.launcher') && R.querySelector('.launcher').getAttribute('aria-expanded') === 'false'`))

	// With the panel closed, another staff reply marks the button.
	browsertest.Do(t, staffCtx, "second reply",
		chromedp.WaitVisible(chromedp.ID("reply-body")),
		chromedp.SendKeys(chromedp.ID("reply-body"), "We will send a reminder the day before."),
		chromedp.Click(chromedp.ID("send-reply")),
	)
	browsertest.WaitJS(t, ctx, "the unread mark", widgetJS(`R.querySelector('.launcher').classList.contains('unread') && R.querySelector('.launcher').getAttribute('aria-label') === 'Chat with us (New message)'`))

	// A phone-sized screen: the open panel fills it, nothing scrolls
	// sideways.
	browsertest.Do(t, ctx, "phone", chromedp.EmulateViewport(390, 844), chromedp.Click(shadow(".launcher")))
	browsertest.WaitJS(t, ctx, "full-screen panel", widgetJS(`!R.getElementById('panel').hidden && Math.round(R.getElementById('panel').getBoundingClientRect().width) === window.innerWidth`))
	if over := browsertest.Run(t, ctx, "overflow", chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)); over {
		t.Error("the demo page overflows a 390 px screen")
	}
	chatScreenshot(t, "chat-phone.png", browsertest.Run(t, ctx, "phone screenshot", chromedp.CaptureScreenshot()))
	browsertest.Do(t, ctx, "wide again", chromedp.EmulateViewport(1280, 900))

	// A reload (or the next page of the site) in the same tab keeps the
	// conversation.
	browsertest.Do(t, ctx, "reload", chromedp.Reload())
	browsertest.WaitJS(t, ctx, "the widget", widgetJS(`R.querySelector('.launcher') !== null`))
	browsertest.Do(t, ctx, "reopen", chromedp.Click(shadow(".launcher")))
	browsertest.WaitJS(t, ctx, "the restored thread", widgetJS(`R.querySelectorAll('.m-staff').length === 2 && R.querySelectorAll('.m-patient').length === 2 && R.getElementById('contact').hidden`))

	// Spanish: a new tab is a new session; the first message decides.
	esCtx, closeES := chromedp.NewContext(ctx)
	defer closeES()
	browsertest.Do(t, esCtx, "open demo page", chromedp.Navigate(base+"/"))
	browsertest.WaitJS(t, esCtx, "the widget", widgetJS(`R.querySelector('.launcher') !== null`))
	browsertest.Do(t, esCtx, "ask in Spanish",
		chromedp.Click(shadow(".launcher")),
		chromedp.SendKeys(shadow("#text"), "¿cuánto dura el botox?\r"),
	)
	browsertest.WaitJS(t, esCtx, "a Spanish answer and a Spanish widget",
		widgetJS(`R.querySelectorAll('.m-bot .b').length === 2 && R.querySelector('.m-bot:last-child .b').textContent.includes('meses') && R.getElementById('text').placeholder === 'Escriba su pregunta…' && R.querySelector('.w').getAttribute('lang') === 'es'`))

	// A browser set to Spanish gets the widget in Spanish from the start.
	esBrowser, closeESBrowser := chromedp.NewContext(ctx)
	defer closeESBrowser()
	browsertest.Do(t, esBrowser, "start tab")
	ua := browsertest.Run(t, esBrowser, "user agent", chromedp.Evaluate[string](`navigator.userAgent`))
	if _, err := chromedp.Call(esBrowser, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: ua, AcceptLanguage: "es-US"}); err != nil {
		t.Fatal(err)
	}
	browsertest.Do(t, esBrowser, "open demo page", chromedp.Navigate(base+"/"))
	browsertest.WaitJS(t, esBrowser, "a Spanish widget", widgetJS(`R.querySelector('.launcher').getAttribute('aria-label') === 'Chatee con nosotros'`))

	if n := dialogs.Load(); n != 0 {
		t.Errorf("the pages opened %d JavaScript dialogs", n)
	}
}
