package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// InboundState is what deciding an inbound message needs to know of its
// conversation.
type InboundState struct {
	// Conversation is nil for the first message from an address.
	Conversation *Conversation
	// Active is the conversation's open or claimed escalation, if any (as
	// ActiveEscalation).
	Active *Escalation
	// RecentReplies counts the bot's replies among the conversation's last
	// messages that were sent after a time (see InboundState).
	RecentReplies int
}

// inboundStateQuery reads InboundState in one statement: the conversation,
// how many of its last messages (the second argument) are bot replies
// sent after a time (the first), and its active escalation as
// ActiveEscalation picks it (LEFT JOIN: NULLs when there is none). One
// statement is one snapshot, and on SQLite one start of a read (which,
// after any write, rereads the pages the reader had cached).
const inboundStateQuery = `SELECT c.id, c.channel, c.address, c.name, c.lang, c.last_faq_id, c.opted_out,
	c.opted_out_at, c.created_at, c.updated_at, c.contact_phone, c.text_consent_at,
	(SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id
		AND m.author = 'bot' AND m.direction = 'out' AND m.created_at > ?
		AND m.id >= COALESCE((SELECT m2.id FROM messages m2 WHERE m2.conversation_id = c.id
			ORDER BY m2.id DESC LIMIT 1 OFFSET ?), 0)),
	e.id, e.message_id, e.kind, e.priority, e.status, e.claimed_by, e.claimed_by_name, e.claimed_at,
	e.resolved_at, e.outcome, e.created_at, e.updated_at, COALESCE(em.body, '')
	FROM conversations c
	LEFT JOIN escalations e ON e.id = (SELECT e2.id FROM escalations e2
		WHERE e2.conversation_id = c.id AND e2.status IN ('open', 'claimed') ORDER BY e2.id DESC LIMIT 1)
	LEFT JOIN messages em ON em.id = e.message_id
	WHERE c.channel = ? AND c.address = ?`

// InboundState reads an address's conversation, its active escalation and
// how many of its last recent messages are bot replies sent after since,
// in one statement (inboundStateQuery).
func (s *SQL) InboundState(ctx context.Context, channel, address string, recent int, since time.Time) (InboundState, error) {
	var (
		st                                  InboundState
		c                                   Conversation
		optedOut                            int
		optedOutAt, consentAt               sql.NullInt64
		created, updated                    int64
		escID, msgID, claimedBy, claimedAt  sql.NullInt64
		resolved, escCreated, escUpdated    sql.NullInt64
		kind, priority, status, claimedName sql.NullString
		outcome                             sql.NullString
		body                                string
	)
	err := s.rq().QueryRowContext(s.keyed(ctx), s.q(inboundStateQuery), ms(since), max(recent, 1)-1, channel, address).Scan(
		&c.ID, &c.Channel, &c.Address, &c.Name, &c.Lang, &c.LastFAQID, &optedOut, &optedOutAt, &created, &updated,
		&c.ContactPhone, &consentAt, &st.RecentReplies,
		&escID, &msgID, &kind, &priority, &status, &claimedBy, &claimedName, &claimedAt,
		&resolved, &outcome, &escCreated, &escUpdated, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return InboundState{}, nil
	}
	if err != nil {
		return InboundState{}, fmt.Errorf("store: read conversation state: %w", err)
	}
	if recent <= 0 {
		st.RecentReplies = 0
	}
	c.OptedOut = optedOut != 0
	c.OptedOutAt = timePtr(optedOutAt)
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	c.TextConsentAt = timePtr(consentAt)
	st.Conversation = &c
	if escID.Valid {
		st.Active = &Escalation{
			ID: escID.Int64, ConversationID: c.ID, MessageID: idPtr(msgID),
			Kind: kind.String, Priority: priority.String, Status: status.String,
			ClaimedBy: idPtr(claimedBy), ClaimedByName: claimedName.String, ClaimedAt: timePtr(claimedAt),
			ResolvedAt: timePtr(resolved), Outcome: outcome.String,
			CreatedAt: fromMS(escCreated.Int64), UpdatedAt: fromMS(escUpdated.Int64),
			Channel: c.Channel, Address: c.Address, PatientName: c.Name, MessageBody: body,
			ContactPhone: c.ContactPhone,
		}
	}
	return st, nil
}
