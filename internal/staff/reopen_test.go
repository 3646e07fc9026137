package staff_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/flsps/faqbot/internal/store"
)

// TestReopenBesideANewerEscalationSaysWhy: a patient keeps one active
// escalation per kind, so reopening an old one while a newer one is open is
// a 409 that says so (not "not resolved").
func TestReopenBesideANewerEscalationSaysWhy(t *testing.T) {
	e := newEnv(t)
	tok := e.newToken("crm")
	old := e.escalate("+15615550777", "can i book for monday", store.KindBooking, store.PriorityNormal)
	if _, err := e.st.ResolveEscalation(context.Background(), old.ID, 0, "api:crm", store.OutcomeBooked, ""); err != nil {
		t.Fatal(err)
	}
	e.escalate("+15615550777", "actually can i book tuesday too", store.KindBooking, store.PriorityNormal)
	st, obj, _ := e.apiCall("POST", fmt.Sprintf("/api/v1/escalations/%d/reopen", old.ID), tok, "")
	if msg, _ := obj["error"].(string); st != 409 || !strings.Contains(msg, "newer active escalation") {
		t.Fatalf("reopen: %d %v", st, obj)
	}
}
