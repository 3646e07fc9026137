package staff_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/flsps/faqbot/internal/store"
)

// TestWebChatReply: a web-chat patient is shown by the name and number they
// left ("Web visitor" before that); staff can reply to them without Twilio
// (the reply is in the chat at once); once they left a number with consent
// the reply is also queued as a text to it; the contact and its consent are
// on the timeline.
func TestWebChatReply(t *testing.T) {
	e := newEnv(t)
	e.canSend.Store(false) // no Twilio on this server
	e.addStaff(dana, "Dana Ortiz", danaPW, false)
	ctx := context.Background()
	res, err := e.st.RecordExchange(ctx, store.Exchange{Channel: store.ChannelWeb, Address: "9f86d081884c7d659a2feaa0c55ad015",
		ExternalID: "web:1", Body: "can i talk to a person", Intent: "human",
		Escalate: &store.NewEscalation{Kind: store.KindHuman, Priority: store.PriorityNormal}})
	if err != nil {
		t.Fatal(err)
	}
	esc := res.Escalation
	b := e.client()
	b.mustLogin(dana, danaPW)
	if inbox := b.get("/staff"); !strings.Contains(inbox.body, "Web visitor") || strings.Contains(inbox.body, "•••5015") {
		t.Errorf("a web visitor without a number is not shown as one:\n%.2000s", inbox.body)
	}
	pg := b.act(esc.ID, "reply", url.Values{"body": {"Hi! How can we help?"}})
	if pg.status != http.StatusSeeOther {
		t.Fatalf("reply to a web chat without Twilio: %d %.500s", pg.status, pg.body)
	}
	msgs, _ := e.st.Messages(ctx, esc.ConversationID)
	if last := msgs[len(msgs)-1]; last.Author != store.AuthorStaff || last.Status != store.MsgSent {
		t.Fatalf("staff reply: %+v", last)
	}

	if _, err := e.st.SetChatContact(ctx, esc.ConversationID, "Maria Lopez", "+15615550142", "I agree to be texted."); err != nil {
		t.Fatal(err)
	}
	e.canSend.Store(true)
	view := b.get("/staff/escalations/" + strconv.FormatInt(esc.ID, 10))
	for _, want := range []string{"Maria Lopez", "(561) 555-0142", "Web chat", "agreed to be texted", "I agree to be texted.", "and texted to them"} {
		if !strings.Contains(view.body, want) {
			t.Errorf("the escalation page lacks %q", want)
		}
	}
	// The conversation page shows the number the patient left in full, with
	// a call link (issue 11); lists keep it masked.
	if pg := b.act(esc.ID, "reply", url.Values{"body": {"Tuesday at 3:30?"}}); pg.status != http.StatusSeeOther {
		t.Fatalf("second reply: %d", pg.status)
	}
	items, _ := e.st.ClaimOutbox(ctx, e.clock(), 10, 0)
	if len(items) != 1 || items[0].Target != "+15615550142" || items[0].Body != "Tuesday at 3:30?" {
		t.Errorf("the reply was not queued as a text to the number left: %+v", items)
	}
}
