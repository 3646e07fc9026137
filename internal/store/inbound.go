package store

import (
	"context"
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

// InboundState reads an address's conversation, its active escalation and
// how many of its last recent messages are bot replies sent after since,
// in one read transaction: one snapshot, and on SQLite one start of a read
// (which, after any write, rereads the pages the reader had cached)
// instead of three.
func (s *SQL) InboundState(ctx context.Context, channel, address string, recent int, since time.Time) (InboundState, error) {
	var st InboundState
	ctx = s.keyed(ctx)
	// As in a write transaction, a statement not yet prepared runs
	// unprepared once and is prepared here next time: preparing on the
	// pool inside the transaction could wait for a connection that the
	// other readers' transactions hold.
	s.rc.flush(ctx)
	tx, err := s.r.BeginTx(ctx, nil)
	if err != nil {
		return st, fmt.Errorf("store: begin read: %w", err)
	}
	defer tx.Rollback()
	q := txQ{tx: tx, c: s.rc}
	conv, err := s.conversationBy(ctx, q, channel, address)
	if errors.Is(err, ErrNotFound) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	st.Conversation = conv
	active, err := s.activeEscalation(ctx, q, conv.ID)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return st, err
	default:
		st.Active = active
	}
	err = q.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM (SELECT author, direction, created_at FROM messages
		WHERE conversation_id = ? ORDER BY id DESC LIMIT ?) recent
		WHERE author = 'bot' AND direction = 'out' AND created_at > ?`), conv.ID, recent, ms(since)).Scan(&st.RecentReplies)
	if err != nil {
		return st, fmt.Errorf("store: count recent replies: %w", err)
	}
	return st, nil
}
