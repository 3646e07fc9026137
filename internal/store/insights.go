package store

import (
	"context"
	"database/sql"
	"time"
)

// Decision is one patient message and what the bot decided about it, as
// reports read it.
type Decision struct {
	MessageID      int64     `json:"message_id"`
	ConversationID int64     `json:"conversation_id"`
	Body           string    `json:"body"`
	Intent         string    `json:"intent"`
	FAQID          string    `json:"faq_id"`
	Confidence     float64   `json:"confidence"`
	FAQVersion     string    `json:"faq_version"` // "" for messages stored before versions were recorded
	At             time.Time `json:"at"`
}

// EscalationStat is one escalation as reports read it: when it was opened,
// how it ended, and when staff first texted the patient after it opened.
type EscalationStat struct {
	ID              int64      `json:"id"`
	Kind            string     `json:"kind"`
	Priority        string     `json:"priority"`
	Status          string     `json:"status"`
	Outcome         string     `json:"outcome"`
	CreatedAt       time.Time  `json:"created_at"`
	FirstStaffReply *time.Time `json:"first_staff_reply"` // nil = no staff reply yet
}

// maxReportRows bounds what one report reads into memory.
const maxReportRows = 200_000

// Decisions returns the patient messages received in [from, to), oldest
// first (at most the newest 200,000).
func (s *SQL) Decisions(ctx context.Context, from, to time.Time) ([]Decision, error) {
	out, err := queryList(ctx, s.r, "decisions", s.q(`SELECT id, conversation_id, body, intent, faq_id, confidence, faq_version, created_at
		FROM messages WHERE direction = ? AND author = ? AND created_at >= ? AND created_at < ?
		ORDER BY created_at DESC, id DESC LIMIT ?`),
		func(sc scanner) (*Decision, error) {
			var d Decision
			var at int64
			if err := sc.Scan(&d.MessageID, &d.ConversationID, &d.Body, &d.Intent, &d.FAQID, &d.Confidence, &d.FAQVersion, &at); err != nil {
				return nil, err
			}
			d.At = fromMS(at)
			return &d, nil
		}, DirectionIn, AuthorPatient, ms(from), ms(to), maxReportRows)
	if err != nil {
		return nil, err
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// EscalationStats returns the escalations opened in [from, to), oldest
// first, each with the time of the first staff message to the patient at or
// after its opening.
func (s *SQL) EscalationStats(ctx context.Context, from, to time.Time) ([]EscalationStat, error) {
	return queryList(ctx, s.r, "escalation stats", s.q(`SELECT e.id, e.kind, e.priority, e.status, e.outcome, e.created_at,
		(SELECT MIN(m.created_at) FROM messages m
		 WHERE m.conversation_id = e.conversation_id AND m.author = ? AND m.direction = ? AND m.created_at >= e.created_at)
		FROM escalations e WHERE e.created_at >= ? AND e.created_at < ?
		ORDER BY e.created_at, e.id LIMIT ?`),
		func(sc scanner) (*EscalationStat, error) {
			var e EscalationStat
			var at int64
			var first sql.NullInt64
			if err := sc.Scan(&e.ID, &e.Kind, &e.Priority, &e.Status, &e.Outcome, &at, &first); err != nil {
				return nil, err
			}
			e.CreatedAt = fromMS(at)
			e.FirstStaffReply = timePtr(first)
			return &e, nil
		}, AuthorStaff, DirectionOut, ms(from), ms(to), maxReportRows)
}
