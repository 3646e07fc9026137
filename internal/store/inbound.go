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
	tx, err := s.r.BeginTx(ctx, nil)
	if err != nil {
		return st, fmt.Errorf("store: begin read: %w", err)
	}
	defer tx.Rollback()
	q := readTxQ{tx: tx, c: s.rc}
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

// readTxQ runs a read transaction's statements through the read pool's
// cache.
type readTxQ struct {
	tx *sql.Tx
	c  *stmtCache
}

func (q readTxQ) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := q.c.prepareNow(ctx, query); st != nil {
		return q.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return q.tx.ExecContext(ctx, query, args...)
}

func (q readTxQ) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := q.c.prepareNow(ctx, query); st != nil {
		return q.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return q.tx.QueryContext(ctx, query, args...)
}

func (q readTxQ) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := q.c.prepareNow(ctx, query); st != nil {
		return q.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return q.tx.QueryRowContext(ctx, query, args...)
}
