package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/flsps/faqbot/internal/store"
)

func TestEscalationsListsFromTheStore(t *testing.T) {
	dir := t.TempDir()
	st := staffTestStore(t, dir)
	ctx := context.Background()
	for i, m := range []struct{ body, kind, prio string }{
		{"can i book for friday", "booking", "normal"},
		{"my lips are swelling", "emergency", "urgent"},
	} {
		if _, err := st.RecordExchange(ctx, store.Exchange{Channel: "sms", Address: "+1561555014" + string(rune('0'+i)),
			ExternalID: "SM" + strings.Repeat("0", 31) + string(rune('1'+i)), Body: m.body, Intent: m.kind,
			Escalate: &store.NewEscalation{Kind: m.kind, Priority: m.prio}}); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errs := staffCLI(t, dir, "", "escalations", "--json", "--status", "open")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var list []struct {
		ID        int64     `json:"id"`
		Kind      string    `json:"kind"`
		Priority  string    `json:"priority"`
		Status    string    `json:"status"`
		CreatedAt time.Time `json:"created_at"`
		Patient   string    `json:"patient"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("not one JSON array: %v\n%s", err, out)
	}
	if len(list) != 2 || list[0].Kind != "emergency" || list[0].Priority != "urgent" || list[1].Status != "open" || list[1].CreatedAt.IsZero() || list[0].ID == 0 {
		t.Fatalf("%+v", list)
	}
	if strings.Contains(out, "5615550140") {
		t.Fatal("full phone number in output")
	}
	if code, out, _ := staffCLI(t, dir, "", "escalations", "--status", "resolved"); code != 0 || !strings.Contains(out, "no escalations") {
		t.Fatalf("%d %q", code, out)
	}
	if code, _, errs := staffCLI(t, dir, "", "escalations", "--status", "closed"); code != 2 || !strings.Contains(errs, "unknown status") {
		t.Fatalf("%d %q", code, errs)
	}
}

func TestPurgeDeletesOldConversations(t *testing.T) {
	dir := t.TempDir()
	st := staffTestStore(t, dir)
	if _, err := st.RecordExchange(context.Background(), store.Exchange{Channel: "sms", Address: "+15615550149",
		Body: "is botox safe", Intent: "faq", At: time.Now().Add(-400 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := staffCLI(t, dir, "", "purge"); code != 2 || !strings.Contains(errs, "--older-than") {
		t.Fatalf("no duration: %d %s", code, errs)
	}
	code, out, errs := staffCLI(t, dir, "", "purge", "--older-than", "365d")
	if code != 0 || !strings.Contains(out, "deleted 1 conversation") {
		t.Fatalf("%d %q %q", code, out, errs)
	}
	if _, err := st.Conversation(context.Background(), "sms", "+15615550149"); err == nil {
		t.Fatal("conversation survived the purge")
	}
}
