package staff

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/flsps/faqbot/internal/store"
)

// The JSON API. Integrations authenticate with "Authorization: Bearer
// <token>" (tokens from `faqbot token create --name NAME`, stored hashed).
// They act as the staff-like actor "api:NAME" with no staff id: claims by
// an integration show as claimed by "api:NAME", audit entries have actor
// "api:NAME", replies are stored as staff messages without a staff id.

// APIEscalation is an escalation in API responses.
type APIEscalation struct {
	ID             int64      `json:"id"`
	Kind           string     `json:"kind"`
	Priority       string     `json:"priority"`
	Status         string     `json:"status"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	ConversationID int64      `json:"conversation_id"`
	Channel        string     `json:"channel"`
	Patient        string     `json:"patient"`      // masked: "•••0142"
	PatientName    string     `json:"patient_name"` // "" if unknown
	ClaimedBy      *string    `json:"claimed_by"`   // staff name or "api:NAME"; null if unclaimed
	ClaimedByID    *int64     `json:"claimed_by_id"`
	ClaimedAt      *time.Time `json:"claimed_at"`
	ResolvedAt     *time.Time `json:"resolved_at"`
	Outcome        string     `json:"outcome"`
	Message        string     `json:"message"` // the patient's message that escalated
	URL            string     `json:"url"`     // console path
}

// APIConversation is an escalation's conversation in API responses.
type APIConversation struct {
	ID          int64        `json:"id"`
	Channel     string       `json:"channel"`
	Patient     string       `json:"patient"`
	PatientName string       `json:"patient_name"`
	OptedOut    bool         `json:"opted_out"`
	Messages    []APIMessage `json:"messages"`
	Events      []APIEvent   `json:"events"`
}

// APIMessage is one message of a conversation.
type APIMessage struct {
	ID        int64     `json:"id"`
	Direction string    `json:"direction"` // "in" or "out"
	Author    string    `json:"author"`    // patient, bot, staff, system
	StaffID   *int64    `json:"staff_id"`
	Body      string    `json:"body"`
	Status    string    `json:"status"` // received, queued, sent, delivered, undelivered, failed, suppressed
	ErrorCode string    `json:"error_code,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// APIEvent is one timeline event (escalated, claimed, note, resolved...).
type APIEvent struct {
	ID           int64     `json:"id"`
	Kind         string    `json:"kind"`
	EscalationID *int64    `json:"escalation_id"`
	Actor        string    `json:"actor"`
	Body         string    `json:"body"`
	CreatedAt    time.Time `json:"created_at"`
}

// APIEscalationDetail is GET /api/v1/escalations/{id}.
type APIEscalationDetail struct {
	APIEscalation
	// PatientPhone is the full number to call ("" for web chat); only this
	// one-escalation view carries it, and each read is audited.
	PatientPhone string          `json:"patient_phone"`
	Conversation APIConversation `json:"conversation"`
}

// ToAPIEscalation is e as the API (and `faqbot escalations --json`) shows it.
func ToAPIEscalation(e *store.Escalation) APIEscalation {
	out := APIEscalation{ID: e.ID, Kind: e.Kind, Priority: e.Priority, Status: e.Status,
		CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt, ConversationID: e.ConversationID, Channel: e.Channel,
		Patient: maskAddress(e.TextAddress()), PatientName: e.PatientName, ClaimedByID: e.ClaimedBy,
		ClaimedAt: e.ClaimedAt, ResolvedAt: e.ResolvedAt, Outcome: e.Outcome, Message: e.MessageBody,
		URL: "/staff/escalations/" + strconv.FormatInt(e.ID, 10)}
	if e.ClaimedByName != "" {
		n := e.ClaimedByName
		out.ClaimedBy = &n
	}
	return out
}

type apiHandler func(w http.ResponseWriter, r *http.Request, tok *store.APIToken)

// apiAuth checks the bearer token; without a valid one: 401 JSON.
func (c *Console) apiAuth(h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		scheme, raw, ok := strings.Cut(auth, " ")
		raw = strings.TrimSpace(raw)
		if !ok || !strings.EqualFold(scheme, "Bearer") || raw == "" || len(raw) > 200 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="faqbot"`)
			writeJSON(w, http.StatusUnauthorized, errorJSON{Error: "missing bearer token: send Authorization: Bearer <token> (create one with: faqbot token create --name NAME)"})
			return
		}
		tok, err := c.o.Store.APITokenByHash(r.Context(), store.HashToken(raw))
		if err != nil {
			if !errors.Is(err, store.ErrNotFound) {
				c.log.Error("staff: API token lookup", "err", err)
				writeJSON(w, http.StatusInternalServerError, errorJSON{Error: "internal error"})
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="faqbot", error="invalid_token"`)
			writeJSON(w, http.StatusUnauthorized, errorJSON{Error: "invalid or revoked token"})
			return
		}
		now := c.now()
		if tok.LastUsedAt == nil || now.Sub(*tok.LastUsedAt) > time.Minute {
			if err := c.o.Store.TouchAPIToken(r.Context(), tok.ID, now); err != nil {
				c.log.Error("staff: touch API token", "err", err)
			}
		}
		h(w, r, tok)
	})
}

func apiActor(tok *store.APIToken) actor { return actor{id: 0, name: "api:" + tok.Name} }

func (c *Console) apiNotFound(w http.ResponseWriter, r *http.Request, _ *store.APIToken) {
	writeJSON(w, http.StatusNotFound, errorJSON{Error: "no such API endpoint (see GET/POST /api/v1/escalations...)"})
}

var apiStatuses = map[string][]string{
	"open":     {store.EscOpen},
	"claimed":  {store.EscClaimed},
	"resolved": {store.EscResolved},
	"active":   {store.EscOpen, store.EscClaimed},
	"all":      nil,
}

// apiList is GET /api/v1/escalations[?status=open|claimed|resolved|active|all
// (comma-separated)][&limit=N]: urgent first, then oldest. Default: all,
// at most 200 (limit up to 1000).
func (c *Console) apiList(w http.ResponseWriter, r *http.Request, tok *store.APIToken) {
	q := r.URL.Query()
	f := store.EscalationFilter{Limit: 200}
	if s := q.Get("status"); s != "" {
		seen := map[string]bool{}
		for _, part := range strings.Split(s, ",") {
			sts, ok := apiStatuses[strings.TrimSpace(part)]
			if !ok {
				writeJSON(w, http.StatusBadRequest, errorJSON{Error: "unknown status " + strconv.Quote(part) + ": use open, claimed, resolved, active or all"})
				return
			}
			if sts == nil {
				f.Status, seen = nil, nil
				break
			}
			for _, st := range sts {
				if !seen[st] {
					seen[st] = true
					f.Status = append(f.Status, st)
				}
			}
		}
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			writeJSON(w, http.StatusBadRequest, errorJSON{Error: "limit must be a number from 1 to 1000"})
			return
		}
		f.Limit = n
	}
	list, err := c.o.Store.Escalations(r.Context(), f)
	if err != nil {
		c.apiServerError(w, "list", err)
		return
	}
	out := make([]APIEscalation, 0, len(list))
	for i := range list {
		out = append(out, ToAPIEscalation(&list[i]))
	}
	writeJSON(w, http.StatusOK, out)
}

func (c *Console) apiGet(w http.ResponseWriter, r *http.Request, tok *store.APIToken) {
	id, ok := pathID(r)
	if !ok {
		writeJSON(w, http.StatusNotFound, errorJSON{Error: "escalation not found"})
		return
	}
	ctx := r.Context()
	e, err := c.o.Store.Escalation(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		writeJSON(w, http.StatusNotFound, errorJSON{Error: "escalation not found"})
		return
	}
	if err != nil {
		c.apiServerError(w, "get", err)
		return
	}
	conv, err := c.o.Store.ConversationByID(ctx, e.ConversationID)
	if err != nil {
		c.apiServerError(w, "get", err)
		return
	}
	msgs, err := c.o.Store.Messages(ctx, e.ConversationID)
	if err != nil {
		c.apiServerError(w, "get", err)
		return
	}
	evs, err := c.o.Store.Events(ctx, e.ConversationID)
	if err != nil {
		c.apiServerError(w, "get", err)
		return
	}
	d := APIEscalationDetail{APIEscalation: ToAPIEscalation(e), PatientPhone: dialNumber(conv.TextAddress()), Conversation: APIConversation{
		ID: conv.ID, Channel: conv.Channel, Patient: maskAddress(conv.TextAddress()), PatientName: conv.Name,
		OptedOut: conv.OptedOut, Messages: []APIMessage{}, Events: []APIEvent{}}}
	for _, m := range msgs {
		d.Conversation.Messages = append(d.Conversation.Messages, APIMessage{ID: m.ID, Direction: m.Direction,
			Author: m.Author, StaffID: m.StaffID, Body: m.Body, Status: m.Status, ErrorCode: m.ErrorCode, CreatedAt: m.CreatedAt})
	}
	for _, ev := range evs {
		d.Conversation.Events = append(d.Conversation.Events, APIEvent{ID: ev.ID, Kind: ev.Kind,
			EscalationID: ev.EscalationID, Actor: ev.ActorName, Body: ev.Body, CreatedAt: ev.CreatedAt})
	}
	a := apiActor(tok)
	c.audit(ctx, r, nil, a.name, "view", &id, "number shown (api)")
	writeJSON(w, http.StatusOK, d)
}

// apiErrors maps action result codes to HTTP statuses and messages.
var apiErrors = map[string]struct {
	status int
	msg    string
}{
	"not_found":        {http.StatusNotFound, "escalation not found"},
	"err_opted_out":    {http.StatusUnprocessableEntity, "not sent: the patient has opted out of text messages (replied STOP, or the carrier reports them unsubscribed); call them instead. They must text START before anyone can text them"},
	"err_cannot_send":  {http.StatusServiceUnavailable, "not sent: SMS sending is not configured on this server (Twilio REST credentials missing)"},
	"err_claimed":      {http.StatusConflict, "someone else holds this escalation: only they can reply, add notes, resolve or release it; take it over first (POST .../takeover)"},
	"err_resolved":     {http.StatusConflict, "the escalation is resolved; reopen it first"},
	"err_not_resolved": {http.StatusConflict, "the escalation is not resolved"},
	"err_newer_open":   {http.StatusConflict, "the patient has a newer active escalation of this kind: work on that one"},
	"err_empty":        {http.StatusUnprocessableEntity, `"body" must not be empty`},
	"err_too_long":     {http.StatusUnprocessableEntity, fmt.Sprintf(`"body" is too long (at most %d characters)`, maxReplyChars)},
	"err_outcome":      {http.StatusUnprocessableEntity, `"outcome" must be one of booked, answered, no_response, other`},
	"err_note_long":    {http.StatusUnprocessableEntity, fmt.Sprintf(`"note" is too long (at most %d characters)`, maxNoteChars)},
	"err_name_long":    {http.StatusUnprocessableEntity, fmt.Sprintf(`"name" is too long (at most %d characters)`, maxNameChars)},
}

// Request bodies of the API's actions. Unknown fields are refused (a
// misspelt "notes" must not lose the note).
type (
	replyRequest struct {
		Body string `json:"body"`
	}
	noteRequest struct {
		Body string `json:"body"`
	}
	resolveRequest struct {
		Outcome string `json:"outcome"`
		Note    string `json:"note"`
	}
	nameRequest struct {
		Name string `json:"name"`
	}
	emptyRequest struct{}
)

// apiAction is POST /api/v1/escalations/{id}/{action}. Bodies: reply and
// note take {"body": "..."}, resolve takes {"outcome": "...", "note":
// "..."}, name takes {"name": "..."}, the others nothing (or {}). Success:
// 200 with the escalation (reply: 201 with {"message": ..., "escalation":
// ...}). See actions.go for the claim rule (409 "claimed").
func (c *Console) apiAction(w http.ResponseWriter, r *http.Request, tok *store.APIToken) {
	id, ok := pathID(r)
	if !ok {
		writeJSON(w, http.StatusNotFound, errorJSON{Error: "escalation not found"})
		return
	}
	action := mux.Vars(r)["action"]
	var in actionInput
	var ok2 bool
	switch action {
	case "reply":
		var req replyRequest
		ok2 = decodeJSON(w, r, &req, true, `{"body": "..."}`)
		in.Body = req.Body
	case "note":
		var req noteRequest
		ok2 = decodeJSON(w, r, &req, true, `{"body": "..."}`)
		in.Body = req.Body
	case "resolve":
		var req resolveRequest
		ok2 = decodeJSON(w, r, &req, true, `{"outcome": "answered", "note": "..."}`)
		in.Outcome, in.Note = req.Outcome, req.Note
	case "name":
		var req nameRequest
		ok2 = decodeJSON(w, r, &req, true, `{"name": "..."}`)
		in.Name = req.Name
	default:
		ok2 = decodeJSON(w, r, &emptyRequest{}, false, `no body (or {})`)
	}
	if !ok2 {
		return
	}
	a := apiActor(tok)
	res := c.act(r.Context(), a, id, action, in)
	if res.err != nil {
		c.apiServerError(w, action, res.err)
		return
	}
	if e, bad := apiErrors[res.code]; bad {
		code := strings.TrimPrefix(res.code, "err_")
		msg := e.msg
		if res.code == "err_claimed" && res.holder != "" {
			msg = res.holder + " holds this escalation: only they can reply, add notes, resolve or release it; take it over first (POST .../takeover)"
		}
		if res.refused() {
			c.audit(r.Context(), r, nil, a.name, "refused", &id, action+": "+code+" (api)")
		}
		writeJSON(w, e.status, errorJSON{Error: msg, Code: code})
		return
	}
	if res.auditAction != "" {
		c.audit(r.Context(), r, nil, a.name, res.auditAction, &id, strings.TrimSpace(res.auditDetail+" (api)"))
		c.Notify()
	}
	var esc *APIEscalation
	if res.esc != nil {
		v := ToAPIEscalation(res.esc)
		esc = &v
	}
	switch action {
	case "reply":
		m := res.msg
		writeJSON(w, http.StatusCreated, map[string]any{
			"message": APIMessage{ID: m.ID, Direction: m.Direction, Author: m.Author, StaffID: m.StaffID,
				Body: m.Body, Status: m.Status, CreatedAt: m.CreatedAt},
			"escalation": esc,
		})
	default:
		writeJSON(w, http.StatusOK, esc)
	}
}

// decodeJSON reads one JSON object into dst, refusing unknown fields. An
// empty body is fine unless required. On failure it has written a 400 (413
// for a body over 64 KiB) whose message names the field at fault in the
// API's own words (never a Go type), and returns false. example shows the
// expected shape.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any, required bool, example string) bool {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeJSON(w, http.StatusRequestEntityTooLarge, errorJSON{Error: "request body too large (at most 64 KiB)"})
		} else {
			writeJSON(w, http.StatusBadRequest, errorJSON{Error: "could not read the request body"})
		}
		return false
	}
	if len(bytes.TrimSpace(b)) == 0 {
		if required {
			writeJSON(w, http.StatusBadRequest, errorJSON{Error: "this action needs a JSON body: " + example})
			return false
		}
		return true
	}
	bad := func(msg string) bool {
		writeJSON(w, http.StatusBadRequest, errorJSON{Error: msg + " (expected " + example + ")"})
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return bad(fmt.Sprintf("the request body is not valid JSON (at byte %d)", syn.Offset))
		case errors.As(err, &typ) && typ.Field == "":
			return bad("the request body must be a JSON object")
		case errors.As(err, &typ):
			return bad(fmt.Sprintf("%q must be a %s", typ.Field, jsonKind(typ.Type.Kind())))
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			field := strings.TrimPrefix(err.Error(), "json: unknown field ")
			return bad("unknown field " + field + ": " + knownFields(dst))
		case errors.Is(err, io.ErrUnexpectedEOF):
			return bad("the request body is not valid JSON (it ends too early)")
		}
		return bad("the request body is not a valid JSON object")
	}
	if dec.More() {
		return bad("the request body must hold one JSON object only")
	}
	return true
}

// knownFields says which fields dst accepts: "this action accepts "body""
// or "this action takes no fields".
func knownFields(dst any) string {
	t := reflect.TypeOf(dst).Elem()
	var names []string
	for i := range t.NumField() {
		if tag := strings.Split(t.Field(i).Tag.Get("json"), ",")[0]; tag != "" {
			names = append(names, strconv.Quote(tag))
		}
	}
	if len(names) == 0 {
		return "this action takes no fields"
	}
	return "this action accepts " + strings.Join(names, " and ")
}

// jsonKind names a Go kind as JSON does.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean (true or false)"
	case reflect.Slice, reflect.Array:
		return "list"
	case reflect.Map, reflect.Struct:
		return "JSON object"
	}
	return "number"
}

func (c *Console) apiServerError(w http.ResponseWriter, what string, err error) {
	c.log.Error("staff: API "+what, "err", err)
	writeJSON(w, http.StatusInternalServerError, errorJSON{Error: "internal error"})
}
