package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Purge deletes conversations whose last activity (updated_at) is before
// before, with their messages, events, escalations and finished (sent or
// failed) outbox items, in one transaction. A conversation that still has
// an undelivered (pending or sending) outbox item is kept until it is
// delivered or fails. It returns the number of conversations deleted.
// Audit entries are kept (they hold no patient data).
func (s *SQL) Purge(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		total = 0
		rows, err := s.wq(tx).QueryContext(ctx, s.q(`SELECT c.id FROM conversations c WHERE c.updated_at < ?
			AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.status IN ('pending', 'sending') AND (
				o.message_id IN (SELECT m.id FROM messages m WHERE m.conversation_id = c.id) OR
				o.escalation_id IN (SELECT e.id FROM escalations e WHERE e.conversation_id = c.id)))`), ms(before))
		if err != nil {
			return fmt.Errorf("store: purge: %w", err)
		}
		var ids []any
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("store: purge: %w", err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: purge: %w", err)
		}
		const chunk = 400
		for len(ids) > 0 {
			n := min(chunk, len(ids))
			batch := ids[:n]
			ids = ids[n:]
			in := "(?" + strings.Repeat(", ?", n-1) + ")"
			args := append(append([]any{}, batch...), batch...)
			if _, err := s.wq(tx).ExecContext(ctx, s.q(`DELETE FROM outbox WHERE status IN ('sent', 'failed') AND (
				message_id IN (SELECT id FROM messages WHERE conversation_id IN `+in+`) OR
				escalation_id IN (SELECT id FROM escalations WHERE conversation_id IN `+in+`))`), args...); err != nil {
				return fmt.Errorf("store: purge outbox: %w", err)
			}
			res, err := s.wq(tx).ExecContext(ctx, s.q(`DELETE FROM conversations WHERE id IN `+in), batch...)
			if err != nil {
				return fmt.Errorf("store: purge conversations: %w", err)
			}
			k, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("store: purge conversations: %w", err)
			}
			total += k
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return total, nil
}
