package staff_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/flsps/faqbot/internal/store"
)

// A misspelt or unknown field is refused with a message that names it (a
// note sent as "notes" must not be lost), and no 400 shows a Go type name.
func TestAPIRejectsUnknownFields(t *testing.T) {
	e := newEnv(t)
	esc := e.escalate("+15615550142", "Can I book a Botox consult?", store.KindBooking, store.PriorityNormal)
	tok := e.newToken("zapier")
	path := func(action string) string { return fmt.Sprintf("/api/v1/escalations/%d/%s", esc.ID, action) }
	for _, tc := range []struct {
		action, body string
		want         []string
	}{
		{"resolve", `{"outcome":"answered","notes":"called back"}`, []string{`unknown field "notes"`, `accepts "outcome" and "note"`}},
		{"reply", `{"text":"hello"}`, []string{`unknown field "text"`, `accepts "body"`}},
		{"note", `{"body":"x","author":"me"}`, []string{`unknown field "author"`}},
		{"claim", `{"force":true}`, []string{`unknown field "force"`, "takes no fields"}},
		{"name", `{"first_name":"Ann"}`, []string{`unknown field "first_name"`, `accepts "name"`}},
		{"reply", `{"body":42}`, []string{`"body" must be a string`}},
		{"resolve", `{"outcome":["answered"]}`, []string{`"outcome" must be a string`}},
		{"reply", `["hello"]`, []string{"must be a JSON object"}},
		{"reply", `"hello"`, []string{"must be a JSON object"}},
		{"reply", `{"body":"a"}{"body":"b"}`, []string{"one JSON object only"}},
		{"reply", `{"body":"a"`, []string{"not valid JSON"}},
		{"reply", `{body:"a"}`, []string{"not valid JSON (at byte 2)"}},
		{"reply", ``, []string{"needs a JSON body"}},
	} {
		st, obj, _ := e.apiCall("POST", path(tc.action), tok, tc.body)
		msg, _ := obj["error"].(string)
		if st != 400 {
			t.Errorf("%s %s: status %d (%s), want 400", tc.action, tc.body, st, msg)
		}
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s %s: error %q lacks %q", tc.action, tc.body, msg, w)
			}
		}
		for _, goism := range []string{"json:", "Go value", "struct", "staff.", "main.", "float64", "[]interface", "unmarshal"} {
			if strings.Contains(msg, goism) {
				t.Errorf("%s %s: error %q shows Go internals (%q)", tc.action, tc.body, msg, goism)
			}
		}
	}
	// Nothing was changed by the refused requests.
	got, _ := e.st.Escalation(context.Background(), esc.ID)
	if got.Status != store.EscOpen {
		t.Fatalf("a refused request changed the escalation: %+v", got)
	}
	evs, _ := e.st.Events(context.Background(), esc.ConversationID)
	if len(evs) != 1 {
		t.Fatalf("events after refused requests: %+v", evs)
	}
	// The right spelling works; an empty object is fine where no field is needed.
	if st, obj, _ := e.apiCall("POST", path("claim"), tok, `{}`); st != 200 {
		t.Fatalf("claim with {}: %d %v", st, obj)
	}
	if st, obj, _ := e.apiCall("POST", path("resolve"), tok, `{"outcome":"answered","note":"called back"}`); st != 200 || obj["outcome"] != "answered" {
		t.Fatalf("resolve: %d %v", st, obj)
	}
}

// The claim rule is one rule: while someone holds an escalation, only they
// can reply, add notes, resolve or release it; everyone else gets 409
// "claimed" naming the holder, and must take it over first.
func TestAPIClaimRule(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	esc := e.escalate("+15615550142", "Can I book a Botox consult?", store.KindBooking, store.PriorityNormal)
	holder, other := e.newToken("zapier"), e.newToken("ehr")
	path := func(action string) string { return fmt.Sprintf("/api/v1/escalations/%d/%s", esc.ID, action) }
	if st, obj, _ := e.apiCall("POST", path("claim"), holder, ""); st != 200 {
		t.Fatalf("claim: %d %v", st, obj)
	}
	for _, tc := range []struct{ action, body string }{
		{"claim", ""},
		{"release", ""},
		{"note", `{"body":"I called them"}`},
		{"reply", `{"body":"Hello"}`},
		{"resolve", `{"outcome":"answered"}`},
	} {
		st, obj, _ := e.apiCall("POST", path(tc.action), other, tc.body)
		if st != 409 || obj["code"] != "claimed" || !strings.Contains(obj["error"].(string), "api:zapier holds this escalation") {
			t.Errorf("%s by another: %d %v, want 409 claimed naming the holder", tc.action, st, obj)
		}
	}
	got, _ := e.st.Escalation(ctx, esc.ID)
	msgs, _ := e.st.Messages(ctx, esc.ConversationID)
	evs, _ := e.st.Events(ctx, esc.ConversationID)
	if got.Status != store.EscClaimed || got.ClaimedByName != "api:zapier" || len(msgs) != 2 || len(evs) != 2 {
		t.Fatalf("refused actions changed something: %+v, %d messages, %d events", got, len(msgs), len(evs))
	}
	// Refused attempts are in the audit log.
	entries, _ := e.st.AuditLog(ctx, 100)
	refused := 0
	for _, en := range entries {
		if en.Action == "refused" && en.ActorName == "api:ehr" {
			refused++
		}
	}
	if refused != 5 {
		t.Errorf("%d refused attempts audited, want 5", refused)
	}
	// The holder may do all of it; a takeover moves the claim, named.
	if st, _, _ := e.apiCall("POST", path("note"), holder, `{"body":"left a voicemail"}`); st != 200 {
		t.Errorf("note by the holder: %d", st)
	}
	st, obj, _ := e.apiCall("POST", path("takeover"), other, "")
	if st != 200 || obj["claimed_by"] != "api:ehr" {
		t.Fatalf("takeover: %d %v", st, obj)
	}
	evs, _ = e.st.Events(ctx, esc.ConversationID)
	if last := evs[len(evs)-1]; last.Kind != store.EventClaimed || last.Body != "from api:zapier" {
		t.Errorf("takeover event: %+v", last)
	}
	if st, _, _ := e.apiCall("POST", path("resolve"), holder, `{"outcome":"answered"}`); st != 409 {
		t.Errorf("resolve by the former holder: %d, want 409", st)
	}
	if st, _, _ := e.apiCall("POST", path("release"), other, ""); st != 200 {
		t.Errorf("release by the holder: %d", st)
	}
	// Open again: anyone may act.
	if st, _, _ := e.apiCall("POST", path("resolve"), holder, `{"outcome":"answered"}`); st != 200 {
		t.Errorf("resolve an open escalation: %d", st)
	}
}

// The console follows the same rule; disabling an account hands its
// escalations back to the queue.
func TestConsoleClaimRuleAndDisabling(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.addStaff(dana, "Dana Ortiz", danaPW, false)
	leeU := e.addStaff(lee, "Lee Park", leePW, false)
	esc := e.escalate("+15615550142", "Can I book a Botox consult?", store.KindBooking, store.PriorityNormal)
	l, d := e.client(), e.client()
	l.mustLogin(lee, leePW)
	d.mustLogin(dana, danaPW)
	l.act(esc.ID, "claim", nil)
	for _, tc := range []struct {
		action string
		form   url.Values
	}{
		{"release", nil},
		{"resolve", url.Values{"outcome": {"answered"}}},
		{"note", url.Values{"body": {"called"}}},
	} {
		p := d.act(esc.ID, tc.action, tc.form)
		if got, _ := e.st.Escalation(ctx, esc.ID); got.Status != store.EscClaimed || got.ClaimedByName != "Lee Park" {
			t.Fatalf("%s by Dana changed Lee's escalation: %+v", tc.action, got)
		}
		if tc.action == "note" {
			if p.status != 409 || !strings.Contains(p.body, "called</textarea>") {
				t.Errorf("refused note: %d, text not kept", p.status)
			}
		} else if pg := d.get(fmt.Sprintf("/staff/escalations/%d", esc.ID)); !strings.Contains(pg.body, "Lee Park has this escalation") {
			t.Errorf("%s: no refusal naming Lee", tc.action)
		}
	}
	pg := d.get(fmt.Sprintf("/staff/escalations/%d", esc.ID))
	if !strings.Contains(pg.body, `id="takeover"`) || strings.Contains(pg.body, `id="release"`) {
		t.Error("Dana should be offered a takeover, not a release")
	}
	if err := e.st.SetStaffDisabled(ctx, leeU.ID, true); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.st.Escalation(ctx, esc.ID); got.Status != store.EscOpen {
		t.Fatalf("a disabled account still holds %+v", got)
	}
	if pg := d.get(fmt.Sprintf("/staff/escalations/%d", esc.ID)); !strings.Contains(pg.body, "Lee Park released this to the queue (account disabled)") {
		t.Error("timeline does not say why the claim ended")
	}
}
