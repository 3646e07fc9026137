package staff

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
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
	store.InboxItem
	Patient string
	Urgent  bool
	Mine    bool
	Preview string
	Replied bool // the patient wrote again after the last staff reply
	Unread  bool // ... and this staff member has not looked since
}

// inboxData is the inbox page: the chosen status view, filters and search,
// one page of items and what the empty state should say.
type inboxData struct {
	View      string
	Views     []viewTab
	Q         string
	Kind      string
	Kinds     []outcomeOpt
	Urgent    bool
	Mine      bool
	Unclaimed bool
	Items     []inboxItem
	Total     int
	From, To  int    // 1-based positions shown
	PrevURL   string // "" = none
	NextURL   string
	Filtered  bool // a search or filter is on
	Empty     string
	ClearURL  string
}

type viewTab struct {
	Key, Label, URL string
	Current         bool
}

var inboxViews = []struct{ key, label string }{
	{"active", "Open"},
	{"resolved", "Resolved"},
	{"all", "All"},
}

var kindOpts = []outcomeOpt{
	{store.KindEmergency, "Emergency"},
	{store.KindBooking, "Booking request"},
	{store.KindUnknown, "Unanswered question"},
	{store.KindHuman, "Asked for a person"},
}

// inboxPageSize is how many escalations one inbox page shows.
const inboxPageSize = 25

// inbox is GET /staff: ?view=active|resolved|all (default active: open and
// claimed), q= (number, name or text), kind=, urgent=1, mine=1,
// unclaimed=1, page=N.
func (c *Console) inbox(w http.ResponseWriter, r *http.Request, se *sess) {
	qv := r.URL.Query()
	d := &inboxData{View: qv.Get("view"), Q: strings.TrimSpace(qv.Get("q")), Kind: qv.Get("kind"),
		Urgent: qv.Get("urgent") == "1", Mine: qv.Get("mine") == "1", Unclaimed: qv.Get("unclaimed") == "1", Kinds: kindOpts}
	if d.View == "mine" { // the old "Mine" tab
		d.View, d.Mine = "active", true
	}
	q := store.InboxQuery{Reader: se.user.ID, Text: d.Q, Urgent: d.Urgent, Unclaimed: d.Unclaimed, Limit: inboxPageSize}
	switch d.View {
	case "resolved":
		q.Status = []string{store.EscResolved}
	case "all":
	default:
		d.View = "active"
		q.Status = []string{store.EscOpen, store.EscClaimed}
	}
	known := false
	for _, k := range kindOpts {
		known = known || k.Value == d.Kind
	}
	if !known {
		d.Kind = ""
	}
	q.Kind = d.Kind
	if utf8.RuneCountInString(d.Q) > 200 {
		d.Q = string([]rune(d.Q)[:200])
		q.Text = d.Q
	}
	if d.Mine {
		q.ClaimedBy = se.user.ID
	}
	page, _ := strconv.Atoi(qv.Get("page"))
	page = max(page, 1)
	q.Offset = (page - 1) * inboxPageSize
	list, total, err := c.o.Store.Inbox(r.Context(), q)
	if err != nil {
		c.serverError(w, r, se, "inbox", err)
		return
	}
	d.Total = total
	d.Filtered = d.Q != "" || d.Kind != "" || d.Urgent || d.Mine || d.Unclaimed
	link := func(view string, page int) string {
		v := url.Values{}
		if view != "active" {
			v.Set("view", view)
		}
		if d.Q != "" {
			v.Set("q", d.Q)
		}
		if d.Kind != "" {
			v.Set("kind", d.Kind)
		}
		for k, on := range map[string]bool{"urgent": d.Urgent, "mine": d.Mine, "unclaimed": d.Unclaimed} {
			if on {
				v.Set(k, "1")
			}
		}
		if page > 1 {
			v.Set("page", strconv.Itoa(page))
		}
		if len(v) == 0 {
			return "/staff"
		}
		return "/staff?" + v.Encode()
	}
	for _, v := range inboxViews {
		d.Views = append(d.Views, viewTab{Key: v.key, Label: v.label, URL: link(v.key, 1), Current: v.key == d.View})
	}
	if page > 1 {
		d.PrevURL = link(d.View, page-1)
	}
	if q.Offset+len(list) < total {
		d.NextURL = link(d.View, page+1)
	}
	if len(list) > 0 {
		d.From, d.To = q.Offset+1, q.Offset+len(list)
	}
	d.ClearURL = "/staff"
	if d.View != "active" {
		d.ClearURL = "/staff?view=" + d.View
	}
	for _, it := range list {
		mine := it.ClaimedBy != nil && *it.ClaimedBy == se.user.ID
		resolved := it.Status == store.EscResolved
		item := inboxItem{InboxItem: it, Patient: patientLabel(it.PatientName, it.TextAddress()),
			Urgent: it.Priority == store.PriorityUrgent && !resolved, Mine: mine,
			Replied: !resolved && it.PatientReplied(), Preview: preview(it.MessageBody, 140)}
		item.Unread = item.Replied && it.Unread()
		if item.Replied && it.LastInboundBody != "" {
			item.Preview = preview(it.LastInboundBody, 140)
		}
		d.Items = append(d.Items, item)
	}
	if len(d.Items) == 0 {
		d.Empty = c.emptyText(r.Context(), se, d, page)
	}
	c.render(w, r, http.StatusOK, "inbox", &pageData{Title: "Inbox", Nav: "inbox", Inbox: d})
}

// emptyText is the truthful empty state of an inbox page with nothing on it.
func (c *Console) emptyText(ctx context.Context, se *sess, d *inboxData, page int) string {
	n, err := c.o.Store.QueueCounts(ctx, se.user.ID)
	waiting := ""
	if err == nil {
		switch n.Waiting {
		case 0:
			waiting = "nothing is waiting for anyone."
		case 1:
			waiting = "1 escalation is waiting for anyone."
		default:
			waiting = fmt.Sprintf("%d escalations are waiting for anyone.", n.Waiting)
		}
	}
	switch {
	case page > 1:
		return "No more escalations on this page."
	case d.Q != "":
		return fmt.Sprintf("Nothing matches “%s” here. Search looks at names, numbers and message text.", d.Q)
	case d.Mine && !d.Urgent && d.Kind == "" && d.View == "active":
		return "Mine: nothing is claimed by you; " + waiting
	case d.Filtered && waiting != "":
		return "Nothing matches these filters. " + strings.ToUpper(waiting[:1]) + waiting[1:]
	case d.Filtered:
		return "Nothing matches these filters."
	case d.View == "resolved":
		return "Nothing resolved yet."
	}
	return "No escalations waiting. New ones appear here by themselves."
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
	At     time.Time
	Type   string // "in", "bot", "staff", "event", "note", "alert", "alert-failed", "optout"
	Who    string
	Body   string
	Text   string // an event's sentence
	Status string // outbound message status
	// StatusText is the delivery status in words: "Queued", "Retrying
	// (attempt 3, last error: …)", "Failed: This patient has opted out…".
	StatusText string
	Pending    bool // queued or sent: a delivery status may still come
	// A bot reply's wording: Phrasing "llm" (the model rephrased Curated)
	// or "curated"; Fallback says why a model's wording was refused.
	Phrasing, Fallback, Curated string
}

type escData struct {
	E        *store.Escalation
	Conv     *store.Conversation
	Patient  string // name and masked number, for the header
	Phone    string // the full number, for calling (audited when shown)
	TelURL   template.URL
	Items    []timelineItem
	Mine     bool
	CanSend  bool
	Outcomes []outcomeOpt
	Replies  []CannedReply
	// Draft and NoteDraft keep what staff typed when an action was refused.
	Draft     string
	NoteDraft string
}

// HeldByOther reports an escalation someone else holds.
func (d *escData) HeldByOther() bool { return d.Claimed() && !d.Mine }

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
	if err := c.o.Store.MarkSeen(r.Context(), id, se.user.ID); err != nil {
		c.log.Error("staff: mark seen", "err", err)
	}
	// The page shows the patient's full number: each time someone opens
	// it is recorded, but not the page's own live refreshes or the return
	// after an action (the action is recorded).
	if r.Header.Get("X-Staff-Refresh") == "" && !hasFlash(r) && r.Method == http.MethodGet {
		c.audit(r.Context(), r, &se.user.ID, se.user.Name, "view", &id, "number shown")
	}
	c.renderEscalation(w, r, http.StatusOK, d)
}

func (c *Console) renderEscalation(w http.ResponseWriter, r *http.Request, status int, d *escData) {
	c.renderEscalationWith(w, r, status, d, nil)
}

func (c *Console) renderEscalationWith(w http.ResponseWriter, r *http.Request, status int, d *escData, f *flash) {
	title := fmt.Sprintf("#%d %s", d.E.ID, kindLabel(d.E.Kind))
	c.render(w, r, status, "escalation", &pageData{Title: title, Nav: "escalation", Esc: d, Flash: f})
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
	outbox, err := c.o.Store.ConversationOutbox(ctx, e.ConversationID)
	if err != nil {
		return nil, err
	}
	delivery := map[int64]store.OutboxItem{}
	for _, it := range outbox {
		delivery[*it.MessageID] = it
	}
	d := &escData{E: e, Conv: conv, Patient: patientLabel(conv.Name, conv.TextAddress()),
		Mine: e.ClaimedBy != nil && *e.ClaimedBy == userID, CanSend: c.canSend() || conv.Channel == store.ChannelWeb, Outcomes: outcomeOpts,
		Replies: c.replies.list()}
	if n := dialNumber(conv.TextAddress()); n != "" {
		// Safe as a URL: "tel:+" and digits only (dialNumber checked).
		d.Phone, d.TelURL = displayNumber(n), template.URL("tel:"+n)
	}
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
		it := timelineItem{At: m.CreatedAt, Body: m.Body, Status: m.Status,
			Phrasing: m.Phrasing, Fallback: m.LLMFallback, Curated: m.Curated}
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
		it.Pending = it.Type != "in" && (m.Status == store.MsgQueued || (it.Type == "staff" && m.Status == store.MsgSent && conv.TextAddress() != ""))
		if it.Type != "in" {
			it.StatusText = deliveryText(m, delivery[m.ID])
		}
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
			if ev.Body != "" {
				it.Text = who + " took this over " + ev.Body
			}
		case store.EventReleased:
			it.Text = who + " released this to the queue"
			if ev.Body != "" {
				it.Text += " (" + ev.Body + ")"
			}
		case store.EventResolved:
			it.Text = who + " resolved this: " + outcomeLabel(ev.Body)
		case store.EventReopened:
			it.Text = who + " reopened this"
		case store.EventNote:
			it.Type = "note"
		case store.EventAlertSent:
			it.Type, it.Text = "alert", "Staff alert sent ("+ev.Body+")"
		case store.EventAlertFailed:
			// The body is "sms to …0101: <the provider's error>".
			target, why, _ := strings.Cut(ev.Body, ": ")
			it.Type, it.Text = "alert-failed", "Staff alert failed ("+target+"): "+plainError(why)
		case store.EventOptedOut:
			it.Type, it.Text = "optout", "Patient opted out of text messages"
			if ev.ActorName == store.AuthorSystem {
				it.Text = "Patient opted out of text messages: the carrier refused a text because they unsubscribed"
			}
		case store.EventOptedIn:
			it.Type, it.Text = "alert", "Patient opted back in to text messages"
		case store.EventContact:
			it.Type, it.Text = "alert", "Web chat: "+ev.Body
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
	action := mux.Vars(r)["action"]
	in := actionInput{
		Body:    r.PostFormValue("body"),
		Outcome: r.PostFormValue("outcome"),
		Note:    r.PostFormValue("note"),
		Name:    r.PostFormValue("name"),
	}
	res := c.act(r.Context(), actor{id: se.user.ID, name: se.user.Name}, id, action, in)
	if res.err != nil {
		c.serverError(w, r, se, "escalation action", res.err)
		return
	}
	if res.code == "not_found" {
		c.notFoundPage(w, r, se)
		return
	}
	if res.refused() {
		c.audit(r.Context(), r, &se.user.ID, se.user.Name, "refused", &id, action+": "+strings.TrimPrefix(res.code, "err_"))
		// A refused reply or note keeps its text: the page is shown again
		// with it in the box instead of redirecting.
		if (action == "reply" || action == "note") && strings.TrimSpace(in.Body) != "" {
			d, err := c.loadEscalation(r.Context(), id, se.user.ID)
			if err != nil {
				c.serverError(w, r, se, "escalation", err)
				return
			}
			if action == "reply" {
				d.Draft = in.Body
			} else {
				d.NoteDraft = in.Body
			}
			status := http.StatusUnprocessableEntity
			if res.code == "err_claimed" || res.code == "err_resolved" {
				status = http.StatusConflict
			}
			f := c.flashFor(res)
			c.renderEscalationWith(w, r, status, d, &f)
			return
		}
		c.setFlash(w, res.code, res.holder)
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	if res.auditAction != "" {
		c.audit(r.Context(), r, &se.user.ID, se.user.Name, res.auditAction, &id, res.auditDetail)
		c.Notify()
	}
	c.setFlash(w, res.code, "")
	if res.code == "resolved" {
		back = "/staff"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
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
