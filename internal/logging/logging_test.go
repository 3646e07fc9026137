package logging

import (
	"bytes"
	"strings"
	"testing"
)

func TestRedaction(t *testing.T) {
	var b bytes.Buffer
	log := New(&b, "json", "info", false)
	log.Info("inbound", "from", "+15615550142", "to", "whatsapp:+18005551212", "body", "my lips are swelling", "intent", "emergency")
	out := b.String()
	for _, leak := range []string{"5615550142", "8005551212", "swelling"} {
		if strings.Contains(out, leak) {
			t.Fatalf("log leaks %q: %s", leak, out)
		}
	}
	for _, want := range []string{"…0142", "whatsapp:…1212", "bytes redacted", "emergency"} {
		if !strings.Contains(out, want) {
			t.Fatalf("log lacks %q: %s", want, out)
		}
	}
}

func TestBodiesWhenDebugging(t *testing.T) {
	var b bytes.Buffer
	New(&b, "text", "debug", true).Debug("inbound", "body", "how long does it last", "from", "+15615550142")
	if !strings.Contains(b.String(), "how long does it last") || strings.Contains(b.String(), "5615550142") {
		t.Fatal(b.String())
	}
}
