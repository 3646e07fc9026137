package store

// The staff inbox's reads: escalations with their conversation's activity
// (patient messages after the one that escalated, the last staff reply,
// what a staff member has seen), searched, filtered and paged; the queue's
// counts; read marks; and the writes the inbox needs beside the escalation
// transitions (a 21610 opt-out, a name from WhatsApp).

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// InboxQuery selects escalations for the staff inbox. Zero values select
// everything.
type InboxQuery struct {
	Status    []string // empty = any status
	Kind      string   // "" = any kind
	Urgent    bool     // only urgent ones
	ClaimedBy int64    // > 0: only those claimed by this staff member
	Unclaimed bool     // only those nobody holds (status open)
	// Text matches, case-insensitively, the patient's name, any message of
	// the conversation, the number (when Text has 3 or more digits) or the
	// escalation's number ("#12" or "12").
	Text   string
	Reader int64 // staff member whose read marks decide InboxItem.SeenAt
	Offset int
	Limit  int // <= 0: no limit
}

// InboxItem is an escalation with its conversation's activity.
type InboxItem struct {
	Escalation
	// NewMessages counts patient messages after the one that escalated.
	NewMessages int
	// LastInboundAt is the newest patient message (the escalating one or
	// later); nil only when the escalation has no message.
	LastInboundAt *time.Time
	// LastStaffAt is the newest staff reply since the escalation opened.
	LastStaffAt *time.Time
	// SeenAt is when the query's Reader last opened this escalation.
	SeenAt *time.Time
	// LastInboundBody is the newest patient message after the escalating
	// one ("" if none).
	LastInboundBody string
}

// PatientReplied reports a patient message after the escalating one that
// no staff reply has followed yet.
func (it *InboxItem) PatientReplied() bool {
	if it.NewMessages == 0 || it.LastInboundAt == nil {
		return false
	}
	return it.LastStaffAt == nil || it.LastInboundAt.After(*it.LastStaffAt)
}

// Unread reports a patient message the reader has not seen: one after the
// escalating message, newer than the reader's last look.
func (it *InboxItem) Unread() bool {
	if it.NewMessages == 0 || it.LastInboundAt == nil {
		return false
	}
	return it.SeenAt == nil || it.LastInboundAt.After(*it.SeenAt)
}

const inboxActivity = `,
	(SELECT COUNT(*) FROM messages mi WHERE mi.conversation_id = e.conversation_id AND mi.direction = 'in'
		AND mi.id > COALESCE(e.message_id, 0) AND mi.created_at >= e.created_at) AS new_in,
	(SELECT MAX(mi.created_at) FROM messages mi WHERE mi.conversation_id = e.conversation_id AND mi.direction = 'in'
		AND mi.id >= COALESCE(e.message_id, 0) AND mi.created_at >= e.created_at) AS last_in,
	(SELECT MAX(ms.created_at) FROM messages ms WHERE ms.conversation_id = e.conversation_id AND ms.author = 'staff'
		AND ms.created_at >= e.created_at) AS last_staff,
	(SELECT sr.seen_at FROM staff_reads sr WHERE sr.escalation_id = e.id AND sr.user_id = ?) AS seen_at,
	COALESCE((SELECT mi.body FROM messages mi WHERE mi.conversation_id = e.conversation_id AND mi.direction = 'in'
		AND mi.id > COALESCE(e.message_id, 0) AND mi.created_at >= e.created_at ORDER BY mi.id DESC LIMIT 1), '') AS last_in_body`

// likeEscape escapes LIKE's wildcards (with ESCAPE '\').
var likeEscape = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// where builds the query's WHERE clause and its arguments.
func (q InboxQuery) where() (string, []any) {
	var conds []string
	var args []any
	if len(q.Status) > 0 {
		conds = append(conds, `e.status IN (?`+strings.Repeat(", ?", len(q.Status)-1)+`)`)
		for _, st := range q.Status {
			args = append(args, st)
		}
	}
	if q.Kind != "" {
		conds = append(conds, `e.kind = ?`)
		args = append(args, q.Kind)
	}
	if q.Urgent {
		conds = append(conds, `e.priority = 'urgent'`)
	}
	if q.ClaimedBy > 0 {
		conds = append(conds, `e.status = 'claimed' AND e.claimed_by = ?`)
		args = append(args, q.ClaimedBy)
	}
	if q.Unclaimed {
		conds = append(conds, `e.status = 'open'`)
	}
	if text := strings.TrimSpace(q.Text); text != "" {
		like := "%" + likeEscape.Replace(strings.ToLower(text)) + "%"
		alts := []string{`LOWER(c.name) LIKE ? ESCAPE '\'`,
			`EXISTS (SELECT 1 FROM messages mt WHERE mt.conversation_id = e.conversation_id AND LOWER(mt.body) LIKE ? ESCAPE '\')`}
		args = append(args, like, like)
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, text)
		if len(digits) >= 3 {
			alts = append(alts, `c.address LIKE ?`)
			args = append(args, "%"+digits+"%")
		}
		if id := strings.TrimPrefix(text, "#"); id != "" && strings.IndexFunc(id, func(r rune) bool { return !unicode.IsDigit(r) }) < 0 && len(id) < 12 {
			alts = append(alts, `CAST(e.id AS TEXT) = ?`)
			args = append(args, id)
		}
		conds = append(conds, `(`+strings.Join(alts, ` OR `)+`)`)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return ` WHERE ` + strings.Join(conds, ` AND `), args
}

// Inbox lists escalations for the staff inbox and counts all that match.
// Order: unresolved urgent ones first; then those where the patient wrote
// again after the last staff reply (a follow-up bumps its card), longest
// waiting first (since the escalation opened if no staff reply yet, else
// since the follow-up); then the rest oldest first. Resolved ones come last,
// most recently resolved first.
func (s *SQL) Inbox(ctx context.Context, q InboxQuery) ([]InboxItem, int, error) {
	where, args := q.where()
	var total int
	if err := s.r.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM escalations e
		JOIN conversations c ON c.id = e.conversation_id`+where), args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: count inbox: %w", err)
	}
	query := `SELECT * FROM (` + strings.Replace(escalationSelect, "\n\tFROM escalations e", inboxActivity+"\n\tFROM escalations e", 1) +
		where + `) x ORDER BY
		CASE WHEN x.status = 'resolved' THEN 1 ELSE 0 END,
		CASE WHEN x.status <> 'resolved' AND x.priority = 'urgent' THEN 0 ELSE 1 END,
		CASE WHEN x.status <> 'resolved' AND x.new_in > 0 AND x.last_in > COALESCE(x.last_staff, 0) THEN 0 ELSE 1 END,
		CASE WHEN x.status = 'resolved' THEN -x.resolved_at
			WHEN x.new_in > 0 AND x.last_staff IS NOT NULL AND x.last_in > x.last_staff THEN x.last_in
			ELSE x.created_at END,
		x.id`
	all := append([]any{q.Reader}, args...)
	if q.Limit > 0 {
		query += ` LIMIT ? OFFSET ?`
		all = append(all, q.Limit, max(q.Offset, 0))
	}
	list, err := queryList(ctx, s.r, "inbox", s.q(query), scanInboxItem, all...)
	if err != nil {
		return nil, 0, err
	}
	return list, total, nil
}

func scanInboxItem(sc scanner) (*InboxItem, error) {
	var (
		it                   InboxItem
		lastIn, lastSt, seen sql.NullInt64
	)
	e, err := scanEscalationWith(sc, &it.NewMessages, &lastIn, &lastSt, &seen, &it.LastInboundBody)
	if err != nil {
		return nil, err
	}
	it.Escalation = *e
	it.LastInboundAt = timePtr(lastIn)
	it.LastStaffAt = timePtr(lastSt)
	it.SeenAt = timePtr(seen)
	return &it, nil
}

// QueueCounts are the numbers the console's header shows.
type QueueCounts struct {
	Waiting int // open: nobody has it yet
	// Urgent counts urgent escalations not yet resolved, claimed or not:
	// an emergency stays counted until someone resolves it.
	Urgent int
	Mine   int // claimed by the staff member asking
	// LatestUrgent is the id of the newest urgent escalation ever opened
	// (0 = none): when it grows, a new emergency arrived.
	LatestUrgent int64
}

// QueueCounts counts the queue for a staff member (0 = nobody's "Mine").
func (s *SQL) QueueCounts(ctx context.Context, staffID int64) (QueueCounts, error) {
	var c QueueCounts
	err := s.r.QueryRowContext(ctx, s.q(`SELECT
		COALESCE(SUM(CASE WHEN status = 'open' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status <> 'resolved' AND priority = 'urgent' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status = 'claimed' AND claimed_by = ? THEN 1 ELSE 0 END), 0),
		COALESCE(MAX(CASE WHEN priority = 'urgent' THEN id END), 0)
		FROM escalations`), staffID).Scan(&c.Waiting, &c.Urgent, &c.Mine, &c.LatestUrgent)
	if err != nil {
		return QueueCounts{}, fmt.Errorf("store: queue counts: %w", err)
	}
	return c, nil
}

// MarkSeen records that a staff member looked at an escalation now.
func (s *SQL) MarkSeen(ctx context.Context, escalationID, staffID int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO staff_reads (user_id, escalation_id, seen_at) VALUES (?, ?, ?)
			ON CONFLICT (user_id, escalation_id) DO UPDATE SET seen_at = excluded.seen_at`),
			staffID, escalationID, s.nowMS())
		if err != nil {
			return fmt.Errorf("store: mark seen: %w", err)
		}
		return nil
	})
}

// ConversationOutbox returns the outbox items that deliver a
// conversation's stored messages (staff replies), oldest first: their
// attempts and last errors tell a retry from a message still queued.
func (s *SQL) ConversationOutbox(ctx context.Context, conversationID int64) ([]OutboxItem, error) {
	return queryList(ctx, s.r, "conversation outbox", s.q(`SELECT `+outboxCols+` FROM outbox
		WHERE message_id IN (SELECT id FROM messages WHERE conversation_id = ?) ORDER BY id`), scanOutbox, conversationID)
}

// OptOutRecipient marks the patient a stored outbound message was for as
// opted out (the provider refused it as an unsubscribed recipient, e.g.
// Twilio 21610), with an "opted_out" event whose body is reason. A patient
// already opted out is left as is. Unknown message: ErrNotFound.
func (s *SQL) OptOutRecipient(ctx context.Context, messageID int64, reason string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		var convID int64
		err := tx.QueryRowContext(ctx, s.q(`SELECT conversation_id FROM messages WHERE id = ?`), messageID).Scan(&convID)
		if err != nil {
			return notFound(err, "opt out recipient")
		}
		now := s.nowMS()
		res, err := tx.ExecContext(ctx, s.q(`UPDATE conversations SET opted_out = 1, opted_out_at = ?, updated_at = ?
			WHERE id = ? AND opted_out = 0`), now, now, convID)
		if err != nil {
			return fmt.Errorf("store: opt out recipient: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return s.insertEvent(ctx, tx, &Event{ConversationID: convID, Kind: EventOptedOut, ActorName: AuthorSystem,
			Body: reason, CreatedAt: fromMS(now)})
	})
}

// NameConversationIfUnnamed sets a conversation's patient name unless it
// already has one (a WhatsApp profile name never overrides what staff
// typed). It reports whether it set it.
func (s *SQL) NameConversationIfUnnamed(ctx context.Context, id int64, name string) (bool, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return false, nil
	}
	var set bool
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE conversations SET name = ? WHERE id = ? AND name = ''`), name, id)
		if err != nil {
			return fmt.Errorf("store: name conversation: %w", err)
		}
		n, _ := res.RowsAffected()
		set = n > 0
		return nil
	})
	return set, err
}

// releaseClaimsOf hands every escalation a staff member holds back to the
// open queue, with a "released" event (body: why) on each.
func (s *SQL) releaseClaimsOf(ctx context.Context, tx *sql.Tx, staffID int64, why string) error {
	rows, err := tx.QueryContext(ctx, s.q(`SELECT id, conversation_id, claimed_by_name FROM escalations
		WHERE status = 'claimed' AND claimed_by = ?`), staffID)
	if err != nil {
		return fmt.Errorf("store: release claims: %w", err)
	}
	type held struct {
		id, conv int64
		name     string
	}
	var list []held
	for rows.Next() {
		var h held
		if err := rows.Scan(&h.id, &h.conv, &h.name); err != nil {
			rows.Close()
			return fmt.Errorf("store: release claims: %w", err)
		}
		list = append(list, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: release claims: %w", err)
	}
	now := s.nowMS()
	for _, h := range list {
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE escalations SET status = 'open', claimed_by = NULL, claimed_by_name = '',
			claimed_at = NULL, updated_at = ? WHERE id = ? AND status = 'claimed'`), now, h.id); err != nil {
			return fmt.Errorf("store: release claims: %w", err)
		}
		id := h.id
		if err := s.insertEvent(ctx, tx, &Event{ConversationID: h.conv, EscalationID: &id, Kind: EventReleased,
			ActorID: &staffID, ActorName: h.name, Body: why, CreatedAt: fromMS(now)}); err != nil {
			return err
		}
		if err := s.touchConversation(ctx, tx, h.conv, now); err != nil {
			return err
		}
	}
	return nil
}

// TakeOverEscalation gives an open or claimed escalation to a staff member,
// whoever held it; the "claimed" event's body names the previous holder
// ("from Lee Park"). Taking over one the staff member already holds is a
// no-op; a resolved one is ErrConflict. staffID 0 means an integration.
func (s *SQL) TakeOverEscalation(ctx context.Context, id, staffID int64, staffName string) (*Escalation, error) {
	prev, err := s.Escalation(ctx, id)
	if err != nil {
		return nil, err
	}
	if prev.Status == EscClaimed && sameStaff(prev, staffID, staffName) {
		return prev, nil
	}
	from := ""
	if prev.Status == EscClaimed {
		from = "from " + prev.ClaimedByName
	}
	return s.transition(ctx, id,
		`UPDATE escalations SET status = 'claimed', claimed_by = ?, claimed_by_name = ?, claimed_at = ?, updated_at = ?
			WHERE id = ? AND status IN ('open', 'claimed')`,
		[]any{staffRef(staffID), staffName, s.nowMS()},
		func(cur *Escalation) error { return ErrConflict },
		func(cur *Escalation, _ int64) []Event {
			return []Event{{Kind: EventClaimed, ActorID: staffPtr(staffID), ActorName: staffName, Body: from}}
		})
}
