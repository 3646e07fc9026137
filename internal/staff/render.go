package staff

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/flsps/faqbot/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// staticVersion is a hash of the embedded assets, appended to their URLs
// so browsers may cache them and still see a new build at once.
var staticVersion = func() string {
	h := sha256.New()
	_ = fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := staticFS.ReadFile(p)
		h.Write([]byte(p))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}()

type templates struct {
	pages map[string]*template.Template
}

func mustTemplates(c *Console) *templates {
	funcs := template.FuncMap{
		"clock":      c.clock,
		"datetime":   c.datetime,
		"iso":        func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"since":      func(t time.Time) string { return humanDuration(c.now().Sub(t)) },
		"ago":        func(t time.Time) string { return ago(humanDuration(c.now().Sub(t))) },
		"between":    func(a, b time.Time) string { return humanDuration(b.Sub(a)) },
		"kindLabel":  kindLabel,
		"outcome":    outcomeLabel,
		"statusText": statusLabel,
		"msgStatus":  msgStatusLabel,
		"deref":      func(t *time.Time) time.Time { return *t },
		"static":     func(name string) string { return "/staff/static/" + name + "?v=" + staticVersion },
	}
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	t := &templates{pages: map[string]*template.Template{}}
	for _, name := range []string{"login", "inbox", "escalation", "error", "audit", "analytics"} {
		p := template.Must(template.Must(base.Clone()).ParseFS(templateFS, "templates/"+name+".html"))
		t.pages[name] = p
	}
	return t
}

// pageData is what every page template gets; one of the page fields is set.
type pageData struct {
	Title     string // "Inbox"; the tab shows "(3) Inbox · <clinic>"
	Clinic    string
	User      *store.StaffUser
	CSRF      string
	Open      int // waiting for anyone
	Urgent    int // urgent, not yet resolved
	Mine      int
	Latest    int64  // newest urgent escalation's id (staff.js alerts when it grows)
	Version   uint64 // change version the data is at least as new as; staff.js refreshes on a newer one
	Zone      string
	Flash     *flash
	Nav       string
	Login     *loginData
	Inbox     *inboxData
	Esc       *escData
	Error     *errData
	AuditRows []auditRow
	Analytics *analyticsData
}

type errData struct {
	Heading string
	Detail  string
}

// FullTitle is the tab title without the count (the script adds it):
// "Inbox · Florida Spine and Pain Specialists".
func (p *pageData) FullTitle() string { return p.Title + " · " + p.Clinic }

// TabTitle is the tab title as first rendered.
func (p *pageData) TabTitle() string {
	if p.Open > 0 {
		return fmt.Sprintf("(%d) %s", p.Open, p.FullTitle())
	}
	return p.FullTitle()
}

func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, page string, d *pageData) {
	d.Clinic = c.o.ClinicName
	d.Zone = c.now().In(c.loc).Format("MST")
	if se, ok := r.Context().Value(sessKey{}).(*sess); ok && d.User == nil {
		d.User, d.CSRF, d.Version = se.user, se.s.CSRFToken, se.version
	}
	if d.User != nil {
		if n, err := c.o.Store.QueueCounts(r.Context(), d.User.ID); err == nil {
			d.Open, d.Urgent, d.Mine, d.Latest = n.Waiting, n.Urgent, n.Mine, n.LatestUrgent
		}
		if d.Flash == nil {
			d.Flash = c.takeFlash(w, r)
		}
	}
	var buf bytes.Buffer
	if err := c.tpl.pages[page].ExecuteTemplate(&buf, "layout.html", d); err != nil {
		c.log.Error("staff: render", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (c *Console) renderError(w http.ResponseWriter, r *http.Request, se *sess, status int, heading, detail string) {
	d := &pageData{Title: heading, Error: &errData{Heading: heading, Detail: detail}}
	if se != nil {
		d.User, d.CSRF, d.Version = se.user, se.s.CSRFToken, se.version
	}
	c.render(w, r, status, "error", d)
}

func (c *Console) notFoundPage(w http.ResponseWriter, r *http.Request, se *sess) {
	c.renderError(w, r, se, http.StatusNotFound, "Not found", "There is no such page. It may have been removed, or the link is wrong.")
}

func (c *Console) serveStatic(w http.ResponseWriter, r *http.Request) {
	name := mux.Vars(r)["file"]
	b, err := staticFS.ReadFile(path.Join("static", path.Base(name)))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(b)
}

// Flash messages survive the redirect after a POST in a short-lived cookie
// holding only a code (never patient data).
type flash struct {
	Error bool
	Text  string
}

var flashes = map[string]flash{
	"claimed":          {Text: "You've claimed this. While you have it, the bot stops answering this patient (except STOP and emergencies)."},
	"took_over":        {Text: "You've taken this over. It is yours now; the previous holder can see that in the timeline."},
	"released":         {Text: "Released back to the queue."},
	"replied":          {Text: "Reply queued. It is sent by text message; its delivery status shows below."},
	"noted":            {Text: "Note added. Notes are internal: the patient never sees them."},
	"resolved":         {Text: "Resolved. Nice work."},
	"reopened":         {Text: "Reopened and back in the queue."},
	"named":            {Text: "Patient name saved."},
	"err_opted_out":    {Error: true, Text: "Not sent: this patient has opted out of text messages (they replied STOP, or their carrier reports them unsubscribed). Call them instead; they must text START before anyone can text them."},
	"err_cannot_send":  {Error: true, Text: "Not sent: text messaging is not set up on this server (Twilio credentials are missing). Ask your administrator, or call the patient."},
	"err_claimed":      {Error: true, Text: "Someone else has this escalation: only they can reply, add notes, resolve or release it. Take it over if you need to act on it."},
	"err_resolved":     {Error: true, Text: "This escalation is already resolved. Reopen it first."},
	"err_not_resolved": {Error: true, Text: "This escalation is not resolved, so it can't be reopened."},
	"err_newer_open":   {Error: true, Text: "This patient has a newer open escalation of the same kind: work on that one instead."},
	"err_empty":        {Error: true, Text: "Nothing to send: the text was empty."},
	"err_too_long":     {Error: true, Text: fmt.Sprintf("Too long: a text message may have at most %d characters.", maxReplyChars)},
	"err_outcome":      {Error: true, Text: "Choose an outcome before resolving."},
	"err_note_long":    {Error: true, Text: fmt.Sprintf("The note is too long (at most %d characters).", maxNoteChars)},
	"err_name_long":    {Error: true, Text: fmt.Sprintf("The name is too long (at most %d characters).", maxNameChars)},
}

// flashFor is the message for an action's result; a refusal because
// someone else holds the escalation names them.
func (c *Console) flashFor(res actionResult) flash {
	f := flashes[res.code]
	if res.code == "err_claimed" && res.holder != "" {
		f.Text = res.holder + " has this escalation: only they can reply, add notes, resolve or release it. Take it over if you need to act on it."
	}
	return f
}

// setFlash stores a flash code (and, for err_claimed, the holder's name:
// a staff name, never patient data) for the page after the redirect.
func (c *Console) setFlash(w http.ResponseWriter, code, holder string) {
	v := code
	if holder != "" {
		v += "|" + url.QueryEscape(holder)
	}
	c.setCookie(w, flashCookie, v, "/staff", 60, http.SameSiteLaxMode)
}

// hasFlash reports a request that carries a flash: the return to a page
// after an action.
func hasFlash(r *http.Request) bool {
	ck, err := r.Cookie(flashCookie)
	return err == nil && ck.Value != ""
}

func (c *Console) takeFlash(w http.ResponseWriter, r *http.Request) *flash {
	ck, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	// A background refresh must not eat the flash meant for the page.
	if r.Header.Get("X-Staff-Refresh") != "" {
		return nil
	}
	c.setCookie(w, flashCookie, "", "/staff", -1, http.SameSiteLaxMode)
	code, holder, _ := strings.Cut(ck.Value, "|")
	holder, _ = url.QueryUnescape(holder)
	if _, ok := flashes[code]; !ok {
		return nil
	}
	f := c.flashFor(actionResult{code: code, holder: holder})
	return &f
}

func (c *Console) clock(t time.Time) string {
	lt := t.In(c.loc)
	now := c.now().In(c.loc)
	if y, m, d := now.Date(); lt.Year() == y && lt.Month() == m && lt.Day() == d {
		return lt.Format("3:04 PM")
	}
	if lt.Year() == now.Year() {
		return lt.Format("Mon Jan 2, 3:04 PM")
	}
	return lt.Format("Jan 2 2006, 3:04 PM")
}

func (c *Console) datetime(t time.Time) string {
	return t.In(c.loc).Format("Mon Jan 2 2006, 3:04:05 PM MST")
}

// ago is "12 min ago", or "just now".
func ago(d string) string {
	if d == "just now" {
		return d
	}
	return d + " ago"
}

// humanDuration is a waiting time at a glance: "just now", "12 min",
// "2 h 5 min", "3 d 4 h".
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 24*time.Hour:
		h := int(d.Hours())
		if m := int(d.Minutes()) % 60; m > 0 {
			return fmt.Sprintf("%d h %d min", h, m)
		}
		return fmt.Sprintf("%d h", h)
	default:
		days := int(d.Hours()) / 24
		if h := int(d.Hours()) % 24; h > 0 {
			return fmt.Sprintf("%d d %d h", days, h)
		}
		return fmt.Sprintf("%d d", days)
	}
}

func kindLabel(k string) string {
	switch k {
	case store.KindBooking:
		return "Booking request"
	case store.KindEmergency:
		return "Emergency"
	case store.KindUnknown:
		return "Unanswered question"
	case store.KindHuman:
		return "Asked for a person"
	}
	return strings.ToUpper(k[:min(1, len(k))]) + k[min(1, len(k)):]
}

func outcomeLabel(o string) string {
	switch o {
	case store.OutcomeBooked:
		return "Booked"
	case store.OutcomeAnswered:
		return "Answered"
	case store.OutcomeNoResponse:
		return "No response"
	case store.OutcomeOther:
		return "Other"
	}
	return o
}

func statusLabel(s string) string {
	switch s {
	case store.EscOpen:
		return "Waiting"
	case store.EscClaimed:
		return "Claimed"
	case store.EscResolved:
		return "Resolved"
	}
	return s
}

func msgStatusLabel(s string) string {
	switch s {
	case store.MsgQueued:
		return "Queued"
	case store.MsgSent:
		return "Sent"
	case store.MsgDelivered:
		return "Delivered ✓"
	case store.MsgUndelivered:
		return "Not delivered"
	case store.MsgFailed:
		return "Failed"
	case store.MsgSuppressed:
		return "Not sent"
	case store.MsgReceived:
		return "Received"
	}
	return s
}

// errorJSON is every API error body.
type errorJSON struct {
	Error string `json:"error"`
	Code  string `json:"code,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}
