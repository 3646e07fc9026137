package staff

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gorilla/mux"

	"github.com/flsps/faqbot/internal/store"
)

// Limits on what staff type.
const (
	maxReplyChars = 1600 // Twilio's limit for one message
	maxNoteChars  = 4000
)

type inboxItem struct {
	store.Escalation
	Patient string
	Urgent  bool
	Mine    bool
	Preview string
}

type inboxData struct {
	View  string
	Items []inboxItem
	Views []viewTab
}

type viewTab struct {
	Key, Label string
	Current    bool
}

var inboxViews = []struct{ key, label string }{
	{"active", "Waiting & claimed"},
	{"mine", "Mine"},
	{"resolved", "Resolved"},
	{"all", "All"},
}

func (c *Console) inbox(w http.ResponseWriter, r *http.Request, se *sess) {
	view := r.URL.Query().Get("view")
	f := store.EscalationFilter{}
	switch view {
	case "mine", "active", "":
		f.Status = []string{store.EscOpen, store.EscClaimed}
	case "resolved":
		f.Status = []string{store.EscResolved}
		f.Limit = 500
	case "all":
		f.Limit = 1000
	default:
		view = "active"
		f.Status = []string{store.EscOpen, store.EscClaimed}
	}
	if view == "" {
		view = "active"
	}
	list, err := c.o.Store.Escalations(r.Context(), f)
	if err != nil {
		c.serverError(w, r, se, "inbox", err)
		return
	}
	d := &inboxData{View: view}
	for _, v := range inboxViews {
		d.Views = append(d.Views, viewTab{Key: v.key, Label: v.label, Current: v.key == view})
	}
	for _, e := range list {
		mine := e.ClaimedBy != nil && *e.ClaimedBy == se.user.ID
		if view == "mine" && !mine {
			continue
		}
		d.Items = append(d.Items, inboxItem{Escalation: e, Patient: patientLabel(e.PatientName, e.Address),
			Urgent: e.Priority == store.PriorityUrgent && e.Status != store.EscResolved, Mine: mine,
			Preview: preview(e.MessageBody, 140)})
	}
	// Resolved ones: most recently resolved first.
	sort.SliceStable(d.Items, func(i, j int) bool {
		a, b := d.Items[i], d.Items[j]
		ar, br := a.Status == store.EscResolved, b.Status == store.EscResolved
		if ar != br {
			return !ar
		}
		if ar && a.ResolvedAt != nil && b.ResolvedAt != nil {
			return a.ResolvedAt.After(*b.ResolvedAt)
		}
		return false
	})
	c.render(w, r, http.StatusOK, "inbox", &pageData{Title: "Inbox", Nav: "inbox", Inbox: d})
}

func preview(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	rs := []rune(s)
	return string(rs[:n]) + "…"
}

type timelineItem struct {
	At      time.Time
	Type    string // "in", "bot", "staff", "event", "note", "alert", "alert-failed", "optout"
	Who     string
	Body    string
	Text    string // an event's sentence
	Status  string // outbound message status
	Error   string
	Pending bool // queued or sent: a delivery status may still come
}

type escData struct {
	E        *store.Escalation
	Conv     *store.Conversation
	Patient  string
	Items    []timelineItem
	Mine     bool
	CanSend  bool
	Outcomes []outcomeOpt
}

type outcomeOpt struct{ Value, Label string }

var outcomeOpts = []outcomeOpt{
	{store.OutcomeBooked, "Booked"},
	{store.OutcomeAnswered, "Answered"},
	{store.OutcomeNoResponse, "No response"},
	{store.OutcomeOther, "Other"},
}

func (d *escData) Open() bool     { return d.E.Status == store.EscOpen }
func (d *escData) Claimed() bool  { return d.E.Status == store.EscClaimed }
func (d *escData) Resolved() bool { return d.E.Status == store.EscResolved }
func (d *escData) Urgent() bool   { return d.E.Priority == store.PriorityUrgent }

func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(mux.Vars(r)["id"], 10, 64)
	return id, err == nil && id > 0
}

func (c *Console) escalationPage(w http.ResponseWriter, r *http.Request, se *sess) {
	id, ok := pathID(r)
	if !ok {
		c.notFoundPage(w, r, se)
		return
	}
	d, err := c.loadEscalation(r.Context(), id, se.user.ID)
	if errors.Is(err, store.ErrNotFound) {
		c.notFoundPage(w, r, se)
		return
	}
	if err != nil {
		c.serverError(w, r, se, "escalation", err)
		return
	}
	if r.Header.Get("X-Staff-Refresh") == "" {
		c.audit(r.Context(), r, &se.user.ID, se.user.Name, "view", &id, "")
	}
	title := fmt.Sprintf("#%d %s", id, kindLabel(d.E.Kind))
	c.render(w, r, http.StatusOK, "escalation", &pageData{Title: title, Nav: "escalation", Esc: d})
}

func (c *Console) loadEscalation(ctx context.Context, id, userID int64) (*escData, error) {
	e, err := c.o.Store.Escalation(ctx, id)
	if err != nil {
		return nil, err
	}
	conv, err := c.o.Store.ConversationByID(ctx, e.ConversationID)
	if err != nil {
		return nil, err
	}
	msgs, err := c.o.Store.Messages(ctx, e.ConversationID)
	if err != nil {
		return nil, err
	}
	evs, err := c.o.Store.Events(ctx, e.ConversationID)
	if err != nil {
		return nil, err
	}
	d := &escData{E: e, Conv: conv, Patient: patientLabel(conv.Name, conv.Address),
		Mine: e.ClaimedBy != nil && *e.ClaimedBy == userID, CanSend: c.canSend(), Outcomes: outcomeOpts}
	names := map[int64]string{}
	staffName := func(id *int64) string {
		if id == nil {
			return "Staff (integration)"
		}
		if n, ok := names[*id]; ok {
			return n
		}
		n := "Staff"
		if u, err := c.o.Store.StaffByID(ctx, *id); err == nil {
			n = u.Name
		}
		names[*id] = n
		return n
	}
	for _, m := range msgs {
		it := timelineItem{At: m.CreatedAt, Body: m.Body, Status: m.Status, Error: m.ErrorCode}
		switch {
		case m.Direction == store.DirectionIn:
			it.Type, it.Who = "in", "Patient"
		case m.Author == store.AuthorStaff:
			it.Type, it.Who = "staff", staffName(m.StaffID)
		case m.Author == store.AuthorBot:
			it.Type, it.Who = "bot", "Bot"
		default:
			it.Type, it.Who = "bot", "System"
		}
		// Still on its way: queued anywhere, or a staff text sent but not yet
		// reported delivered (bot replies go out in TwiML: "sent" is final).
		it.Pending = it.Type != "in" && (m.Status == store.MsgQueued || (it.Type == "staff" && m.Status == store.MsgSent))
		d.Items = append(d.Items, it)
	}
	for _, ev := range evs {
		it := timelineItem{At: ev.CreatedAt, Type: "event", Who: ev.ActorName, Body: ev.Body}
		who := ev.ActorName
		if who == "" {
			who = "Someone"
		}
		switch ev.Kind {
		case store.EventEscalated:
			it.Text = "Handed to staff by the bot"
			if ev.Body != "" {
				it.Text += ": " + ev.Body
			}
		case store.EventClaimed:
			it.Text = who + " claimed this"
		case store.EventReleased:
			it.Text = who + " released this to the queue"
		case store.EventResolved:
			it.Text = who + " resolved this: " + outcomeLabel(ev.Body)
		case store.EventReopened:
			it.Text = who + " reopened this"
		case store.EventNote:
			it.Type = "note"
		case store.EventAlertSent:
			it.Type, it.Text = "alert", "Staff alert sent ("+ev.Body+")"
		case store.EventAlertFailed:
			it.Type, it.Text = "alert-failed", "Staff alert failed: "+ev.Body
		case store.EventOptedOut:
			it.Type, it.Text = "optout", "Patient opted out of text messages"
		case store.EventOptedIn:
			it.Type, it.Text = "alert", "Patient opted back in to text messages"
		default:
			it.Text = ev.Kind + " " + ev.Body
		}
		d.Items = append(d.Items, it)
	}
	sort.SliceStable(d.Items, func(i, j int) bool { return d.Items[i].At.Before(d.Items[j].At) })
	return d, nil
}

// escalationAction runs one POST from the escalation page, then redirects
// back to it (Post/Redirect/Get) with a flash message.
func (c *Console) escalationAction(w http.ResponseWriter, r *http.Request, se *sess) {
	id, ok := pathID(r)
	if !ok {
		c.notFoundPage(w, r, se)
		return
	}
	back := fmt.Sprintf("/staff/escalations/%d", id)
	res := c.act(r.Context(), actor{id: se.user.ID, name: se.user.Name}, id, mux.Vars(r)["action"], actionInput{
		Body:    r.PostFormValue("body"),
		Outcome: r.PostFormValue("outcome"),
		Note:    r.PostFormValue("note"),
	})
	if res.err != nil {
		c.serverError(w, r, se, "escalation action", res.err)
		return
	}
	if res.code == "not_found" {
		c.notFoundPage(w, r, se)
		return
	}
	if res.auditAction != "" {
		c.audit(r.Context(), r, &se.user.ID, se.user.Name, res.auditAction, &id, res.auditDetail)
		c.Notify()
	}
	c.setFlash(w, res.code)
	if res.code == "resolved" {
		back = "/staff"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// actor is who acts: a staff member (id > 0) or an integration (id 0,
// name "api:NAME").
type actor struct {
	id   int64
	name string
}

type actionInput struct {
	Body    string
	Outcome string
	Note    string
}

// actionResult is an action's outcome: code is a flash key ("claimed",
// "err_opted_out", ...) or "not_found"; err is an unexpected failure.
type actionResult struct {
	code        string
	err         error
	esc         *store.Escalation
	msg         *store.Message
	auditAction string
	auditDetail string
}

// act performs one escalation action, shared by the console and the API.
func (c *Console) act(ctx context.Context, a actor, id int64, action string, in actionInput) actionResult {
	e, err := c.o.Store.Escalation(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return actionResult{code: "not_found"}
	}
	if err != nil {
		return actionResult{err: err}
	}
	held := func() bool { // claimed by someone other than a
		if e.Status != store.EscClaimed {
			return false
		}
		if a.id != 0 {
			return e.ClaimedBy == nil || *e.ClaimedBy != a.id
		}
		return e.ClaimedBy != nil || e.ClaimedByName != a.name
	}
	conflict := func(err error, code string) actionResult {
		if errors.Is(err, store.ErrConflict) {
			return actionResult{code: code}
		}
		if errors.Is(err, store.ErrNotFound) {
			return actionResult{code: "not_found"}
		}
		return actionResult{err: err}
	}
	switch action {
	case "claim":
		if e.Status == store.EscResolved {
			return actionResult{code: "err_resolved"}
		}
		ne, err := c.o.Store.ClaimEscalation(ctx, id, a.id, a.name)
		if err != nil {
			return conflict(err, "err_claimed")
		}
		return actionResult{code: "claimed", esc: ne, auditAction: "claim"}
	case "release":
		ne, err := c.o.Store.ReleaseEscalation(ctx, id, a.id, a.name)
		if err != nil {
			return conflict(err, "err_resolved")
		}
		detail := ""
		if e.Status == store.EscClaimed && held() {
			detail = "was claimed by " + e.ClaimedByName
		}
		return actionResult{code: "released", esc: ne, auditAction: "release", auditDetail: detail}
	case "reply":
		body := strings.TrimSpace(in.Body)
		switch {
		case body == "":
			return actionResult{code: "err_empty"}
		case utf8.RuneCountInString(body) > maxReplyChars:
			return actionResult{code: "err_too_long"}
		case e.Status == store.EscResolved:
			return actionResult{code: "err_resolved"}
		case held():
			return actionResult{code: "err_claimed"}
		case !c.canSend():
			return actionResult{code: "err_cannot_send"}
		}
		conv, err := c.o.Store.ConversationByID(ctx, e.ConversationID)
		if err != nil {
			return actionResult{err: err}
		}
		if conv.OptedOut {
			return actionResult{code: "err_opted_out"}
		}
		// Replying to a waiting escalation claims it: the bot must not talk
		// over a person.
		if e.Status == store.EscOpen {
			if _, err := c.o.Store.ClaimEscalation(ctx, id, a.id, a.name); err != nil {
				return conflict(err, "err_claimed")
			}
		}
		m, err := c.o.Store.QueueStaffReply(ctx, id, a.id, a.name, body)
		if errors.Is(err, store.ErrOptedOut) {
			return actionResult{code: "err_opted_out"}
		}
		if err != nil {
			return actionResult{err: err}
		}
		c.wake()
		ne, _ := c.o.Store.Escalation(ctx, id)
		return actionResult{code: "replied", esc: ne, msg: m, auditAction: "reply", auditDetail: fmt.Sprintf("message %d", m.ID)}
	case "note":
		body := strings.TrimSpace(in.Body)
		if body == "" {
			return actionResult{code: "err_empty"}
		}
		if utf8.RuneCountInString(body) > maxNoteChars {
			return actionResult{code: "err_note_long"}
		}
		if _, err := c.o.Store.AddNote(ctx, id, a.id, a.name, body); err != nil {
			return conflict(err, "not_found")
		}
		return actionResult{code: "noted", esc: e, auditAction: "note"}
	case "resolve":
		if !validOutcome(in.Outcome) {
			return actionResult{code: "err_outcome"}
		}
		note := strings.TrimSpace(in.Note)
		if utf8.RuneCountInString(note) > maxNoteChars {
			return actionResult{code: "err_note_long"}
		}
		ne, err := c.o.Store.ResolveEscalation(ctx, id, a.id, a.name, in.Outcome, note)
		if err != nil {
			return conflict(err, "err_resolved")
		}
		return actionResult{code: "resolved", esc: ne, auditAction: "resolve", auditDetail: in.Outcome}
	case "reopen":
		ne, err := c.o.Store.ReopenEscalation(ctx, id, a.id, a.name)
		if err != nil && e.Status == store.EscResolved && errors.Is(err, store.ErrConflict) {
			// One active escalation per patient and kind: a newer one exists.
			return actionResult{code: "err_newer_open"}
		}
		if err != nil {
			return conflict(err, "err_not_resolved")
		}
		return actionResult{code: "reopened", esc: ne, auditAction: "reopen"}
	}
	return actionResult{code: "not_found"}
}

func validOutcome(o string) bool {
	for _, v := range outcomeOpts {
		if v.Value == o {
			return true
		}
	}
	return false
}

func (c *Console) serverError(w http.ResponseWriter, r *http.Request, se *sess, what string, err error) {
	c.log.Error("staff: "+what, "err", err)
	c.renderError(w, r, se, http.StatusInternalServerError, "Something went wrong",
		"The server could not complete this. Please try again in a moment; if it keeps happening, tell your administrator.")
}

type auditRow struct {
	store.AuditEntry
}

func (c *Console) auditPage(w http.ResponseWriter, r *http.Request, se *sess) {
	if !se.user.Admin {
		c.renderError(w, r, se, http.StatusForbidden, "Admins only", "The audit log is visible to administrators.")
		return
	}
	entries, err := c.o.Store.AuditLog(r.Context(), 500)
	if err != nil {
		c.serverError(w, r, se, "audit log", err)
		return
	}
	rows := make([]auditRow, len(entries))
	for i, e := range entries {
		rows[i] = auditRow{e}
	}
	c.render(w, r, http.StatusOK, "audit", &pageData{Title: "Audit log", Nav: "audit", AuditRows: rows})
}
