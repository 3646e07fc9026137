package phone

import "testing"

func TestMask(t *testing.T) {
	for in, want := range map[string]string{
		"+15615550142": "…0142", "whatsapp:+15615550142": "whatsapp:…0142",
		"": "", "12": "…", "web:abcdefgh": "web:…efgh", "561-555-0142": "…0142",
	} {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsE164(t *testing.T) {
	for in, want := range map[string]bool{"+15615550142": true, "5615550142": false, "+1561555": true, "+1 561 555 0142": false, "+": false} {
		if IsE164(in) != want {
			t.Errorf("IsE164(%q) != %v", in, want)
		}
	}
}

func TestLast4(t *testing.T) {
	if Last4("+1 (561) 555-0142") != "0142" || Last4("+12") != "" {
		t.Fatal(Last4("+1 (561) 555-0142"))
	}
}
