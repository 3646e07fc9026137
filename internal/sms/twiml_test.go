package sms

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"
)

type parsedResponse struct {
	XMLName  xml.Name `xml:"Response"`
	Messages []struct {
		Body string     `xml:",chardata"`
		Attr []xml.Attr `xml:",any,attr"`
	} `xml:"Message"`
	Other []struct {
		XMLName xml.Name
	} `xml:",any"`
}

func parseTwiML(t *testing.T, b []byte) parsedResponse {
	t.Helper()
	if !strings.HasPrefix(string(b), "<?xml") {
		t.Errorf("no XML declaration: %q", b)
	}
	var p parsedResponse
	if err := xml.Unmarshal(b, &p); err != nil {
		t.Fatalf("unparseable TwiML %q: %v", b, err)
	}
	if len(p.Other) != 0 {
		t.Fatalf("unexpected elements %v", p.Other)
	}
	return p
}

func TestTwiMLReply(t *testing.T) {
	reply := "Our hours: Mon–Fri 8am–5pm.\nCall 555-0100 & ask for <Reception>."
	b, err := TwiML(reply)
	if err != nil {
		t.Fatal(err)
	}
	p := parseTwiML(t, b)
	if len(p.Messages) != 1 || p.Messages[0].Body != reply || len(p.Messages[0].Attr) != 0 {
		t.Fatalf("got %+v from %q", p, b)
	}
}

func TestTwiMLEmpty(t *testing.T) {
	for _, reply := range []string{"", "  \n"} {
		b, err := TwiML(reply)
		if err != nil {
			t.Fatal(err)
		}
		if p := parseTwiML(t, b); len(p.Messages) != 0 {
			t.Fatalf("%q gave messages: %q", reply, b)
		}
	}
}

func TestTwiMLDropsCharactersXMLCannotCarry(t *testing.T) {
	b, err := TwiML("a\x00b\x1bc\xffd\ufffee")
	if err != nil {
		t.Fatal(err)
	}
	if p := parseTwiML(t, b); len(p.Messages) != 1 || p.Messages[0].Body != "abcde" {
		t.Fatalf("got %q", b)
	}
}

func TestTwiMLSplitsLongReplies(t *testing.T) {
	word := "appointment "
	reply := strings.TrimSpace(strings.Repeat(word, 300)) // 3599 characters
	b, err := TwiML(reply)
	if err != nil {
		t.Fatal(err)
	}
	p := parseTwiML(t, b)
	if len(p.Messages) != 3 {
		t.Fatalf("%d messages", len(p.Messages))
	}
	var joined []string
	for _, m := range p.Messages {
		if n := utf8.RuneCountInString(m.Body); n > MaxBodyChars || n == 0 {
			t.Fatalf("part of %d characters", n)
		}
		if strings.HasPrefix(m.Body, " ") || strings.HasSuffix(m.Body, " ") || !strings.HasSuffix(m.Body, "appointment") {
			t.Fatalf("part not cut at a word boundary: ...%q", m.Body[len(m.Body)-20:])
		}
		joined = append(joined, m.Body)
	}
	if strings.Join(joined, " ") != reply {
		t.Fatal("parts do not add up to the reply")
	}
	// No whitespace at all: hard cut, multibyte safe.
	parts := splitReply(strings.Repeat("é", 3300), MaxBodyChars)
	if len(parts) != 3 || utf8.RuneCountInString(parts[0]) != MaxBodyChars || utf8.RuneCountInString(parts[2]) != 100 {
		t.Fatalf("hard cut: %d parts", len(parts))
	}
}

func TestWriteTwiML(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteTwiML(rec, "Hello")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "text/xml" {
		t.Fatalf("Content-Type %q", ct)
	}
	if p := parseTwiML(t, rec.Body.Bytes()); len(p.Messages) != 1 || p.Messages[0].Body != "Hello" {
		t.Fatalf("body %q", rec.Body.String())
	}
	rec = httptest.NewRecorder()
	WriteTwiML(rec, "")
	if p := parseTwiML(t, rec.Body.Bytes()); rec.Code != 200 || len(p.Messages) != 0 {
		t.Fatalf("empty: %d %q", rec.Code, rec.Body.String())
	}
}
