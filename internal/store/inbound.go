package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// InboundState is what deciding an inbound message needs to know of its
// conversation.
type InboundState struct {
	// Conversation is nil for the first message from an address.
	Conversation *Conversation
	// Active is the conversation's open or claimed escalation, if any
	// (the urgent one first, as ActiveEscalation).
	Active *Escalation
	// Recent are the conversation's last messages, oldest first.
	Recent []Message
}

// InboundState reads an address's conversation, its active escalation and
// its last recent messages in one read transaction: one snapshot, and on
// SQLite one start of a read (which, after any write, rereads the pages
// the reader had cached) instead of three.
func (s *SQL) InboundState(ctx context.Context, channel, address string, recent int) (InboundState, error) {
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
	conv, err := scanConversation(q.QueryRowContext(ctx,
		s.q(`SELECT `+conversationCols+` FROM conversations WHERE channel = ? AND address = ?`), channel, address))
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("store: read conversation: %w", err)
	}
	st.Conversation = conv
	active, err := s.escalationBy(ctx, q, `e.conversation_id = ? AND e.status IN ('open', 'claimed')`, conv.ID)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return st, err
	default:
		st.Active = active
	}
	if recent > 0 {
		msgs, err := s.queryMessages(ctx, q, `SELECT `+messageCols+` FROM messages
			WHERE conversation_id = ? ORDER BY id DESC LIMIT ?`, conv.ID, recent)
		if err != nil {
			return st, err
		}
		for i, j := 0, len(msgs)-1; i < j; i, j = i+1, j-1 {
			msgs[i], msgs[j] = msgs[j], msgs[i]
		}
		st.Recent = msgs
	}
	return st, nil
}
