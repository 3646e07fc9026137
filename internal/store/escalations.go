package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

const escalationSelect = `SELECT e.id, e.conversation_id, e.message_id, e.kind, e.priority, e.status,
	e.claimed_by, e.claimed_by_name, e.claimed_at, e.resolved_at, e.outcome, e.created_at, e.updated_at,
	c.channel, c.address, c.name, COALESCE(m.body, ''), c.contact_phone
	FROM escalations e
	JOIN conversations c ON c.id = e.conversation_id
	LEFT JOIN messages m ON m.id = e.message_id`

// urgentFirst orders escalations urgent first, then oldest first.
const urgentFirst = ` ORDER BY CASE e.priority WHEN 'urgent' THEN 0 ELSE 1 END, e.created_at, e.id`

// scanEscalation reads a row of escalationSelect.
func scanEscalation(sc scanner) (*Escalation, error) { return scanEscalationWith(sc) }

// scanEscalationWith reads a row of escalationSelect followed by the
// columns a query adds after it (the inbox's activity) into extra.
func scanEscalationWith(sc scanner, extra ...any) (*Escalation, error) {
	var (
		e                                   Escalation
		msgID, claimedBy, claimedAt, resolv sql.NullInt64
		created, updated                    int64
	)
	dest := append([]any{&e.ID, &e.ConversationID, &msgID, &e.Kind, &e.Priority, &e.Status,
		&claimedBy, &e.ClaimedByName, &claimedAt, &resolv, &e.Outcome, &created, &updated,
		&e.Channel, &e.Address, &e.PatientName, &e.MessageBody, &e.ContactPhone}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	e.MessageID = idPtr(msgID)
	e.ClaimedBy = idPtr(claimedBy)
	e.ClaimedAt = timePtr(claimedAt)
	e.ResolvedAt = timePtr(resolv)
	e.CreatedAt = fromMS(created)
	e.UpdatedAt = fromMS(updated)
	return &e, nil
}

func (s *SQL) escalationBy(ctx context.Context, q queryer, where string, args ...any) (*Escalation, error) {
	e, err := scanEscalation(q.QueryRowContext(ctx, s.q(escalationSelect+` WHERE `+where+` ORDER BY e.id DESC LIMIT 1`), args...))
	if err != nil {
		return nil, notFound(err, "escalation")
	}
	return e, nil
}

// Escalations lists escalations, urgent first, then oldest first.
func (s *SQL) Escalations(ctx context.Context, f EscalationFilter) ([]Escalation, error) {
	query := escalationSelect
	var args []any
	if len(f.Status) > 0 {
		query += ` WHERE e.status IN (?` + strings.Repeat(", ?", len(f.Status)-1) + `)`
		for _, st := range f.Status {
			args = append(args, st)
		}
	}
	query += urgentFirst
	if f.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	return queryList(ctx, s.rq(), "escalations", s.q(query), scanEscalation, args...)
}

// Escalation returns one escalation with its joined fields.
func (s *SQL) Escalation(ctx context.Context, id int64) (*Escalation, error) {
	return s.escalationBy(ctx, s.rq(), `e.id = ?`, id)
}

// ActiveEscalation returns the conversation's newest open or claimed
// escalation, or ErrNotFound.
func (s *SQL) ActiveEscalation(ctx context.Context, conversationID int64) (*Escalation, error) {
	return s.activeEscalation(ctx, s.rq(), conversationID)
}

func (s *SQL) activeEscalation(ctx context.Context, q queryer, conversationID int64) (*Escalation, error) {
	return s.escalationBy(ctx, q, `e.conversation_id = ? AND e.status IN ('open', 'claimed')`, conversationID)
}

// CountOpen counts escalations waiting for staff (status open, unclaimed)
// and how many of those are urgent.
func (s *SQL) CountOpen(ctx context.Context) (open, urgent int, err error) {
	err = s.rq().QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN priority = 'urgent' THEN 1 ELSE 0 END), 0)
		FROM escalations WHERE status = 'open'`).Scan(&open, &urgent)
	if err != nil {
		return 0, 0, fmt.Errorf("store: count open escalations: %w", err)
	}
	return open, urgent, nil
}

// transition runs one escalation state change: update (a conditional UPDATE
// that must match one row; if it matches none, decide reports why from the
// current row, returning nil for an idempotent no-op), then the event(s),
// then returns the escalation as it is now.
func (s *SQL) transition(ctx context.Context, id int64, update string, args []any,
	decide func(cur *Escalation) error, events func(cur *Escalation, at int64) []Event) (*Escalation, error) {
	var out *Escalation
	err := s.write(ctx, func(tx *sql.Tx) error {
		now := s.nowMS()
		res, err := s.wq(tx).ExecContext(ctx, s.q(update), append(append([]any{}, args...), now, id)...)
		if s.d.isUnique(err) {
			// Reopening beside an active escalation of the same kind.
			return ErrConflict
		}
		if err != nil {
			return fmt.Errorf("store: update escalation: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("store: update escalation: %w", err)
		}
		cur, err := s.escalationBy(ctx, s.wq(tx), `e.id = ?`, id)
		if err != nil {
			return err
		}
		if n == 0 {
			if err := decide(cur); err != nil {
				return err
			}
			out = cur
			return nil
		}
		for _, ev := range events(cur, now) {
			ev.ConversationID = cur.ConversationID
			ev.EscalationID = &cur.ID
			ev.CreatedAt = fromMS(now)
			if err := s.insertEvent(ctx, tx, &ev); err != nil {
				return err
			}
		}
		if err := s.touchConversation(ctx, tx, cur.ConversationID, now); err != nil {
			return err
		}
		out = cur
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func sameStaff(cur *Escalation, staffID int64, staffName string) bool {
	if staffID != 0 {
		return cur.ClaimedBy != nil && *cur.ClaimedBy == staffID
	}
	return cur.ClaimedBy == nil && cur.ClaimedByName == staffName
}

// ClaimEscalation gives an open escalation to a staff member. Claiming one
// the same staff member holds is a no-op; one held by someone else, or
// resolved, is ErrConflict. staffID 0 means an integration (staffName only).
func (s *SQL) ClaimEscalation(ctx context.Context, id, staffID int64, staffName string) (*Escalation, error) {
	return s.transition(ctx, id,
		`UPDATE escalations SET status = 'claimed', claimed_by = ?, claimed_by_name = ?, claimed_at = ?, updated_at = ?
			WHERE id = ? AND status = 'open'`,
		[]any{staffRef(staffID), staffName, s.nowMS()},
		func(cur *Escalation) error {
			if cur.Status == EscClaimed && sameStaff(cur, staffID, staffName) {
				return nil
			}
			return ErrConflict
		},
		func(cur *Escalation, _ int64) []Event {
			return []Event{{Kind: EventClaimed, ActorID: staffPtr(staffID), ActorName: staffName}}
		})
}

// ReleaseEscalation hands a claimed escalation back to the open queue.
// Releasing an open one is a no-op; a resolved one is ErrConflict.
func (s *SQL) ReleaseEscalation(ctx context.Context, id, staffID int64, staffName string) (*Escalation, error) {
	return s.transition(ctx, id,
		`UPDATE escalations SET status = 'open', claimed_by = NULL, claimed_by_name = '', claimed_at = NULL, updated_at = ?
			WHERE id = ? AND status = 'claimed'`,
		nil,
		func(cur *Escalation) error {
			if cur.Status == EscOpen {
				return nil
			}
			return ErrConflict
		},
		func(cur *Escalation, _ int64) []Event {
			return []Event{{Kind: EventReleased, ActorID: staffPtr(staffID), ActorName: staffName}}
		})
}

var outcomes = map[string]bool{OutcomeBooked: true, OutcomeAnswered: true, OutcomeNoResponse: true, OutcomeOther: true}

// ResolveEscalation closes an open or claimed escalation with an outcome
// (booked, answered, no_response, other). The "resolved" event's body is
// the outcome; a non-empty note is added as a "note" event. Resolving a
// resolved escalation is ErrConflict.
func (s *SQL) ResolveEscalation(ctx context.Context, id, staffID int64, staffName, outcome, note string) (*Escalation, error) {
	if !outcomes[outcome] {
		return nil, fmt.Errorf("store: resolve escalation: unknown outcome %q", outcome)
	}
	return s.transition(ctx, id,
		`UPDATE escalations SET status = 'resolved', outcome = ?, resolved_at = ?, updated_at = ?
			WHERE id = ? AND status IN ('open', 'claimed')`,
		[]any{outcome, s.nowMS()},
		func(cur *Escalation) error { return ErrConflict },
		func(cur *Escalation, _ int64) []Event {
			evs := []Event{{Kind: EventResolved, ActorID: staffPtr(staffID), ActorName: staffName, Body: outcome}}
			if note != "" {
				evs = append(evs, Event{Kind: EventNote, ActorID: staffPtr(staffID), ActorName: staffName, Body: note})
			}
			return evs
		})
}

// ReopenEscalation puts a resolved escalation back in the open queue
// (unclaimed). Reopening one that is not resolved is ErrConflict.
func (s *SQL) ReopenEscalation(ctx context.Context, id, staffID int64, staffName string) (*Escalation, error) {
	return s.transition(ctx, id,
		`UPDATE escalations SET status = 'open', outcome = '', resolved_at = NULL,
			claimed_by = NULL, claimed_by_name = '', claimed_at = NULL, updated_at = ?
			WHERE id = ? AND status = 'resolved'`,
		nil,
		func(cur *Escalation) error { return ErrConflict },
		func(cur *Escalation, _ int64) []Event {
			return []Event{{Kind: EventReopened, ActorID: staffPtr(staffID), ActorName: staffName}}
		})
}

// AddNote adds an internal staff note to an escalation's conversation.
func (s *SQL) AddNote(ctx context.Context, escalationID, staffID int64, staffName, body string) (*Event, error) {
	if strings.TrimSpace(body) == "" {
		return nil, errors.New("store: add note: empty body")
	}
	var ev *Event
	err := s.write(ctx, func(tx *sql.Tx) error {
		var convID int64
		err := s.wq(tx).QueryRowContext(ctx, s.q(`SELECT conversation_id FROM escalations WHERE id = ?`), escalationID).Scan(&convID)
		if err != nil {
			return notFound(err, "add note")
		}
		now := s.nowMS()
		ev = &Event{ConversationID: convID, EscalationID: &escalationID, Kind: EventNote,
			ActorID: staffPtr(staffID), ActorName: staffName, Body: body, CreatedAt: fromMS(now)}
		if err := s.insertEvent(ctx, tx, ev); err != nil {
			return err
		}
		return s.touchConversation(ctx, tx, convID, now)
	})
	if err != nil {
		return nil, err
	}
	return ev, nil
}

// QueueStaffReply stores a staff member's reply to an escalation's patient
// and queues it for delivery, in one transaction. Opted-out patients:
// ErrOptedOut.
func (s *SQL) QueueStaffReply(ctx context.Context, escalationID, staffID int64, staffName, body string) (*Message, error) {
	var m *Message
	err := s.write(ctx, func(tx *sql.Tx) error {
		var convID int64
		err := s.wq(tx).QueryRowContext(ctx, s.q(`SELECT conversation_id FROM escalations WHERE id = ?`), escalationID).Scan(&convID)
		if err != nil {
			return notFound(err, "queue staff reply")
		}
		m, err = s.queueOutbound(ctx, tx, convID, AuthorStaff, staffPtr(staffID), &escalationID, body)
		return err
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// QueueOutbound stores an outbound message not tied to an escalation and
// queues it for delivery. Opted-out patients: ErrOptedOut.
func (s *SQL) QueueOutbound(ctx context.Context, conversationID int64, author, body string) (*Message, error) {
	var m *Message
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		m, err = s.queueOutbound(ctx, tx, conversationID, author, nil, nil, body)
		return err
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// queueOutbound inserts a queued outbound message and, for Twilio channels
// (sms, whatsapp), its "sms" outbox item. A web-chat message is in the chat
// as soon as it is stored (the widget reads it from there); when the patient
// left a mobile number and agreed to be texted (SetChatContact) it is also
// texted to that number, unless the number opted out of texts, and its
// status is then the text's.
func (s *SQL) queueOutbound(ctx context.Context, tx *sql.Tx, convID int64, author string, staffID, escID *int64, body string) (*Message, error) {
	if strings.TrimSpace(body) == "" {
		return nil, errors.New("store: queue outbound: empty body")
	}
	conv, err := s.conversationByID(ctx, s.wq(tx), convID)
	if err != nil {
		return nil, err
	}
	if conv.OptedOut {
		return nil, ErrOptedOut
	}
	textTo := conv.TextAddress()
	if conv.Channel == ChannelWeb && textTo != "" {
		var out int
		err := tx.QueryRowContext(ctx, s.q(`SELECT opted_out FROM conversations WHERE channel = ? AND address = ?`),
			ChannelSMS, textTo).Scan(&out)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("store: queue outbound: %w", err)
		}
		if out != 0 {
			textTo = ""
		}
	}
	now := s.at(s.now())
	m := &Message{ConversationID: convID, Direction: DirectionOut, Author: author, StaffID: staffID,
		Body: body, Status: MsgQueued, CreatedAt: now, UpdatedAt: now}
	if textTo == "" {
		m.Status = MsgSent
	}
	if err := s.insertMessage(ctx, tx, m); err != nil {
		return nil, err
	}
	if textTo != "" {
		item := &OutboxItem{Kind: OutboxSMS, Target: textTo, Body: body, MessageID: &m.ID,
			EscalationID: escID, Status: OutboxPending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
		if err := s.insertOutbox(ctx, tx, item); err != nil {
			return nil, err
		}
	}
	if err := s.touchConversation(ctx, tx, convID, ms(now)); err != nil {
		return nil, err
	}
	return m, nil
}
