package staff

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/flsps/faqbot/internal/store"
)

// The actions on an escalation, shared by the console and the API, and
// the one claim rule they follow:
//
//	Whoever holds (claimed) an escalation is the only one who can reply to,
//	add notes to, resolve or release it. Anyone else gets "claimed" (409 in
//	the API) and must take it over first ("takeover", which is recorded and
//	names the previous holder). An open escalation (nobody holds it) is
//	open to everyone; replying to one claims it. Claiming one that someone
//	else holds is "claimed" too. A resolved one can only be reopened (or
//	noted).
//
// Staff members are told apart by account; integrations by token name
// ("api:NAME").

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
	Name    string
}

// actionResult is an action's outcome: code is a flash key ("claimed",
// "err_opted_out", ...) or "not_found"; err is an unexpected failure.
type actionResult struct {
	code        string
	err         error
	esc         *store.Escalation
	msg         *store.Message
	holder      string // with err_claimed: who holds it
	auditAction string
	auditDetail string
}

// refused reports a result that refused the action (a flash error).
func (r actionResult) refused() bool { return strings.HasPrefix(r.code, "err_") }

// maxNameChars bounds a patient name staff type.
const maxNameChars = 100

// act performs one escalation action, shared by the console and the API.
func (c *Console) act(ctx context.Context, a actor, id int64, action string, in actionInput) actionResult {
	e, err := c.o.Store.Escalation(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return actionResult{code: "not_found"}
	}
	if err != nil {
		return actionResult{err: err}
	}
	heldByOther := e.Status == store.EscClaimed && !holds(e, a)
	conflict := func(err error, code string) actionResult {
		if errors.Is(err, store.ErrConflict) {
			// Someone acted in between: say who holds it now, if anyone.
			if now, err2 := c.o.Store.Escalation(ctx, id); err2 == nil && now.Status == store.EscClaimed && !holds(now, a) {
				return actionResult{code: "err_claimed", holder: now.ClaimedByName}
			}
			return actionResult{code: code}
		}
		if errors.Is(err, store.ErrNotFound) {
			return actionResult{code: "not_found"}
		}
		return actionResult{err: err}
	}
	claimed := actionResult{code: "err_claimed", holder: e.ClaimedByName}
	switch action {
	case "claim":
		if e.Status == store.EscResolved {
			return actionResult{code: "err_resolved"}
		}
		if heldByOther {
			return claimed
		}
		ne, err := c.o.Store.ClaimEscalation(ctx, id, a.id, a.name)
		if err != nil {
			return conflict(err, "err_resolved")
		}
		return actionResult{code: "claimed", esc: ne, auditAction: "claim"}
	case "takeover":
		if e.Status == store.EscResolved {
			return actionResult{code: "err_resolved"}
		}
		ne, err := c.o.Store.TakeOverEscalation(ctx, id, a.id, a.name)
		if err != nil {
			return conflict(err, "err_resolved")
		}
		detail := ""
		if heldByOther {
			detail = "from " + e.ClaimedByName
		}
		return actionResult{code: "took_over", esc: ne, auditAction: "takeover", auditDetail: detail}
	case "release":
		if heldByOther {
			return claimed
		}
		ne, err := c.o.Store.ReleaseEscalation(ctx, id, a.id, a.name)
		if err != nil {
			return conflict(err, "err_resolved")
		}
		return actionResult{code: "released", esc: ne, auditAction: "release"}
	case "reply":
		body := strings.TrimSpace(in.Body)
		switch {
		case body == "":
			return actionResult{code: "err_empty"}
		case utf8.RuneCountInString(body) > maxReplyChars:
			return actionResult{code: "err_too_long"}
		case e.Status == store.EscResolved:
			return actionResult{code: "err_resolved"}
		case heldByOther:
			return claimed
		case !c.canSend() && e.Channel != store.ChannelWeb:
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
				return conflict(err, "err_resolved")
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
		switch {
		case body == "":
			return actionResult{code: "err_empty"}
		case utf8.RuneCountInString(body) > maxNoteChars:
			return actionResult{code: "err_note_long"}
		case heldByOther:
			return claimed
		}
		if _, err := c.o.Store.AddNote(ctx, id, a.id, a.name, body); err != nil {
			return conflict(err, "not_found")
		}
		return actionResult{code: "noted", esc: e, auditAction: "note"}
	case "resolve":
		note := strings.TrimSpace(in.Note)
		switch {
		case !validOutcome(in.Outcome):
			return actionResult{code: "err_outcome"}
		case utf8.RuneCountInString(note) > maxNoteChars:
			return actionResult{code: "err_note_long"}
		case e.Status == store.EscResolved:
			return actionResult{code: "err_resolved"}
		case heldByOther:
			return claimed
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
	case "name":
		// The patient's name is about the person, not the escalation: anyone
		// may correct it.
		name := strings.Join(strings.Fields(in.Name), " ")
		if utf8.RuneCountInString(name) > maxNameChars {
			return actionResult{code: "err_name_long"}
		}
		if err := c.o.Store.SetConversationName(ctx, e.ConversationID, name); err != nil {
			return conflict(err, "not_found")
		}
		ne, _ := c.o.Store.Escalation(ctx, id)
		return actionResult{code: "named", esc: ne, auditAction: "rename"}
	}
	return actionResult{code: "not_found"}
}

// holds reports whether a holds escalation e.
func holds(e *store.Escalation, a actor) bool {
	if a.id != 0 {
		return e.ClaimedBy != nil && *e.ClaimedBy == a.id
	}
	return e.ClaimedBy == nil && e.ClaimedByName == a.name
}

func validOutcome(o string) bool {
	for _, v := range outcomeOpts {
		if v.Value == o {
			return true
		}
	}
	return false
}
