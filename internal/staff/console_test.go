package staff_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flsps/faqbot/internal/staff"
	"github.com/flsps/faqbot/internal/store"
)

// A console POST over 64 KiB says so (413), instead of "This form has
// expired", and saves nothing.
func TestOversizedPostSaysTooMuchText(t *testing.T) {
	e := newEnv(t)
	e.addStaff(dana, "Dana Ortiz", danaPW, false)
	esc := e.escalate("+15615550142", "Can I book?", store.KindBooking, store.PriorityNormal)
	b := e.client()
	b.mustLogin(dana, danaPW)
	p := b.act(esc.ID, "note", url.Values{"body": {strings.Repeat("x", 70<<10)}})
	if p.status != http.StatusRequestEntityTooLarge || !strings.Contains(p.body, "Too much text") || strings.Contains(p.body, "expired") {
		t.Fatalf("oversized note: %d", p.status)
	}
	evs, _ := e.st.Events(context.Background(), esc.ConversationID)
	if len(evs) != 1 {
		t.Fatalf("something was saved: %+v", evs)
	}
}

// A POST the browser marks as cross-site, or whose Origin is another host,
// is refused even with a valid CSRF token.
func TestCrossSitePostIsRefused(t *testing.T) {
	e := newEnv(t)
	e.addStaff(dana, "Dana Ortiz", danaPW, false)
	esc := e.escalate("+15615550142", "Can I book?", store.KindBooking, store.PriorityNormal)
	b := e.client()
	b.mustLogin(dana, danaPW)
	pg := b.get(fmt.Sprintf("/staff/escalations/%d", esc.ID))
	form := url.Values{"csrf": {csrfOf(t, pg)}}
	post := func(h map[string]string) int {
		req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/staff/escalations/%d/claim", e.srv.URL, esc.ID), strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range h {
			req.Header.Set(k, v)
		}
		return b.do(req).status
	}
	if st := post(map[string]string{"Sec-Fetch-Site": "cross-site"}); st != http.StatusForbidden {
		t.Errorf("Sec-Fetch-Site cross-site: %d", st)
	}
	if st := post(map[string]string{"Origin": "https://evil.example"}); st != http.StatusForbidden {
		t.Errorf("foreign Origin: %d", st)
	}
	if got, _ := e.st.Escalation(context.Background(), esc.ID); got.Status != store.EscOpen {
		t.Fatalf("claimed by a cross-site post: %+v", got)
	}
	u, _ := url.Parse(e.srv.URL)
	if st := post(map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://" + u.Host}); st != http.StatusSeeOther {
		t.Errorf("same-origin post: %d", st)
	}
}

// The audit log records actions and the opening of a conversation, not a
// "view" for the return to the page after each action.
func TestAuditRecordsActionsNotRedirects(t *testing.T) {
	e := newEnv(t)
	e.addStaff(dana, "Dana Ortiz", danaPW, false)
	esc := e.escalate("+15615550142", "Can I book?", store.KindBooking, store.PriorityNormal)
	b := e.client()
	b.mustLogin(dana, danaPW)
	page := fmt.Sprintf("/staff/escalations/%d", esc.ID)
	b.get(page) // opened: one view
	pg := b.get(page)
	csrf := csrfOf(t, pg) // opened again: a second view
	for _, a := range []struct {
		action string
		form   url.Values
	}{{"claim", nil}, {"note", url.Values{"body": {"left a voicemail"}}}} {
		f := a.form
		if f == nil {
			f = url.Values{}
		}
		f.Set("csrf", csrf)
		if p := b.post(page+"/"+a.action, f); p.status != http.StatusSeeOther {
			t.Fatalf("%s: %d", a.action, p.status)
		}
		b.get(page) // the redirect's target, with its flash
	}
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+page, nil)
	req.Header.Set("X-Staff-Refresh", "1")
	b.do(req) // a live refresh
	got := strings.Join(e.auditActions(), " ")
	if want := "Dana Ortiz:login Dana Ortiz:view Dana Ortiz:view Dana Ortiz:claim Dana Ortiz:note"; got != want {
		t.Errorf("audit %q, want %q", got, want)
	}
}

// Staff record the patient's name; it shows in the inbox and the API.
func TestStaffRecordPatientName(t *testing.T) {
	e := newEnv(t)
	e.addStaff(dana, "Dana Ortiz", danaPW, false)
	esc := e.escalate("+15615550142", "hi this is margaret collins, can I book?", store.KindBooking, store.PriorityNormal)
	b := e.client()
	b.mustLogin(dana, danaPW)
	if p := b.act(esc.ID, "name", url.Values{"name": {"  Margaret   Collins "}}); p.status != http.StatusSeeOther {
		t.Fatalf("name: %d", p.status)
	}
	if p := b.get("/staff"); !strings.Contains(p.body, "Margaret Collins · •••0142") {
		t.Error("name not in the inbox")
	}
	tok := e.newToken("zapier")
	_, obj, _ := e.apiCall("GET", fmt.Sprintf("/api/v1/escalations/%d", esc.ID), tok, "")
	if obj["patient_name"] != "Margaret Collins" || obj["patient_phone"] != "+15615550142" || obj["patient"] != "•••0142" {
		t.Errorf("API: %v %v %v", obj["patient_name"], obj["patient_phone"], obj["patient"])
	}
	if p := b.act(esc.ID, "name", url.Values{"name": {strings.Repeat("n", 101)}}); p.status != http.StatusSeeOther {
		t.Fatalf("long name: %d", p.status)
	} else if pg := b.get(fmt.Sprintf("/staff/escalations/%d", esc.ID)); !strings.Contains(pg.body, "The name is too long") {
		t.Error("no message for a name that is too long")
	}
}

// Saved replies come from the clinic's file, are re-read when it changes,
// and a broken file keeps the last good list.
func TestSavedRepliesFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "replies.yaml")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("replies:\n  - title: Ask for a time\n    text: When is a good time to call you?\n")
	e := newEnv(t, func(o *staff.Options) { o.RepliesFile = path })
	e.addStaff(dana, "Dana Ortiz", danaPW, false)
	esc := e.escalate("+15615550142", "Can I book?", store.KindBooking, store.PriorityNormal)
	b := e.client()
	b.mustLogin(dana, danaPW)
	page := fmt.Sprintf("/staff/escalations/%d", esc.ID)
	e.advance(0)
	if p := b.get(page); !strings.Contains(p.body, `<option value="When is a good time to call you?">Ask for a time</option>`) {
		t.Fatal("saved reply not offered")
	}
	write("replies:\n  - title: Tried to call\n    text: We tried to call you; please call us back.\n  - title: Two\n    text: Second one\n")
	e.advance(10e9)
	if p := b.get(page); !strings.Contains(p.body, ">Tried to call</option>") || strings.Contains(p.body, "Ask for a time") {
		t.Fatal("changed file not re-read")
	}
	write("replies:\n  - title: no text\n")
	e.advance(10e9)
	if p := b.get(page); !strings.Contains(p.body, ">Tried to call</option>") {
		t.Fatal("a broken file dropped the last good list")
	}
	// The clinic's own file loads.
	list, err := staff.LoadReplies(filepath.Join("..", "..", "faq", "staff", "replies.yaml"))
	if err != nil || len(list) == 0 {
		t.Fatalf("faq/staff/replies.yaml: %v (%d replies)", err, len(list))
	}
}
