package chat

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"html/template"
	"net/http"
	"strings"
)

// widgetJS is the widget: plain JavaScript and CSS in one file, no build
// step. The server fills in its configuration (the clinic's name and the
// consent wording) where the file says /*FAQBOT_CONFIG*/null.
//
//go:embed static/widget.js
var widgetJS string

//go:embed static/demo.html
var demoHTML string

var demoTemplate = template.Must(template.New("demo").Parse(demoHTML))

// widgetConfig is what the widget is told about the clinic.
type widgetConfig struct {
	Clinic  string            `json:"clinic"`
	Consent map[string]string `json:"consent"`
}

func (c *Chat) widgetSource() []byte {
	cfg, _ := json.Marshal(widgetConfig{Clinic: c.o.ClinicName, Consent: map[string]string{
		"en": ConsentText("en", c.o.ClinicName), "es": ConsentText("es", c.o.ClinicName)}})
	return []byte(strings.Replace(widgetJS, "/*FAQBOT_CONFIG*/null", string(cfg), 1))
}

// widget serves /chat/widget.js. Any page may load it (a script tag needs
// no CORS); which pages may then talk to the API is the origin check's
// business.
func (c *Chat) widget(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	http.ServeContent(w, r, "widget.js", startTime, bytes.NewReader(c.widgetJS))
}

// demo serves / : a mock clinic page with the widget, so a newcomer sees the
// bot with nothing but `faqbot serve` and a browser.
func (c *Chat) demo(w http.ResponseWriter, r *http.Request) {
	var b bytes.Buffer
	if err := demoTemplate.Execute(&b, struct{ Clinic string }{c.o.ClinicName}); err != nil {
		c.o.Log.Error("chat: demo page", "err", err)
		http.Error(w, "the demo page could not be rendered", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	w.Write(b.Bytes())
}
