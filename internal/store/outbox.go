package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"
)

const outboxCols = `id, kind, target, body, message_id, escalation_id, attempts, next_attempt_at,
	status, last_error, external_id, urgent, created_at, updated_at`

func scanOutbox(sc scanner) (*OutboxItem, error) {
	var (
		o                      OutboxItem
		msgID, escID           sql.NullInt64
		next, created, updated int64
		urgent                 int
	)
	if err := sc.Scan(&o.ID, &o.Kind, &o.Target, &o.Body, &msgID, &escID, &o.Attempts, &next,
		&o.Status, &o.LastError, &o.ExternalID, &urgent, &created, &updated); err != nil {
		return nil, err
	}
	o.Urgent = urgent != 0
	o.MessageID = idPtr(msgID)
	o.EscalationID = idPtr(escID)
	o.NextAttemptAt = fromMS(next)
	o.CreatedAt = fromMS(created)
	o.UpdatedAt = fromMS(updated)
	return &o, nil
}

func (s *SQL) insertOutbox(ctx context.Context, tx *sql.Tx, o *OutboxItem) error {
	var err error
	o.ID, _, err = s.insertID(ctx, s.wq(tx), `INSERT INTO outbox
		(kind, target, body, message_id, escalation_id, attempts, next_attempt_at, status, last_error, external_id, urgent, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.Kind, o.Target, o.Body, nullID(o.MessageID), nullID(o.EscalationID), o.Attempts, ms(o.NextAttemptAt),
		o.Status, o.LastError, o.ExternalID, b2i(o.Urgent), ms(o.CreatedAt), ms(o.UpdatedAt))
	if err != nil {
		return fmt.Errorf("store: insert outbox item: %w", err)
	}
	return nil
}

// OutboxItem returns one outbox item.
func (s *SQL) OutboxItem(ctx context.Context, id int64) (*OutboxItem, error) {
	o, err := scanOutbox(s.rq().QueryRowContext(ctx, s.q(`SELECT `+outboxCols+` FROM outbox WHERE id = ?`), id))
	if err != nil {
		return nil, notFound(err, "outbox item")
	}
	return o, nil
}

// ClaimOutbox leases up to limit due items to the caller, urgent ones
// first: pending items whose NextAttemptAt ≤ now, and sending items whose
// lease has expired (a worker or a whole replica died mid-send). Claimers
// on other replicas skip rows being claimed (FOR UPDATE SKIP LOCKED on
// PostgreSQL), so each item goes to one claimer. They become "sending" with NextAttemptAt =
// now+lease and one more attempt. The caller must finish each with
// OutboxSent, OutboxRetry or OutboxFailed before the lease ends.
func (s *SQL) ClaimOutbox(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]OutboxItem, error) {
	if limit <= 0 {
		return nil, nil
	}
	nowMS := ms(now)
	until := ms(now.Add(lease))
	var out []OutboxItem
	err := s.writeGrouped(ctx, func(tx *sql.Tx) error {
		ctx := context.WithoutCancel(ctx) // see writeGrouped
		out = out[:0]
		// Pick, then lease: one UPDATE … WHERE id IN (SELECT … LIMIT n FOR
		// UPDATE SKIP LOCKED) may lease more than n rows on PostgreSQL (the
		// subquery is not guaranteed to run once).
		ids, err := queryList(ctx, s.wq(tx), "claim outbox", s.q(`SELECT id FROM outbox
			WHERE status IN ('pending', 'sending') AND next_attempt_at <= ?
			ORDER BY urgent DESC, next_attempt_at, id LIMIT ?`+s.d.skipLocked()), scanID, nowMS, limit)
		if err != nil || len(ids) == 0 {
			return err
		}
		args := []any{until, nowMS}
		for _, id := range ids {
			args = append(args, id)
		}
		rows, err := s.wq(tx).QueryContext(ctx, s.q(`UPDATE outbox
			SET status = 'sending', attempts = attempts + 1, next_attempt_at = ?, updated_at = ?
			WHERE id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)
			RETURNING `+outboxCols), args...)
		if err != nil {
			return fmt.Errorf("store: claim outbox: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			o, err := scanOutbox(rows)
			if err != nil {
				return fmt.Errorf("store: claim outbox: %w", err)
			}
			out = append(out, *o)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: claim outbox: %w", err)
		}
		return rows.Close()
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Urgent != out[j].Urgent {
			return out[i].Urgent
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

func scanID(sc scanner) (*int64, error) {
	var id int64
	return &id, sc.Scan(&id)
}

// finishOutbox updates an item's row and returns it as it is now.
func (s *SQL) finishOutbox(ctx context.Context, tx *sql.Tx, id int64, set string, args ...any) (*OutboxItem, error) {
	args = append(args, id)
	o, err := scanOutbox(s.wq(tx).QueryRowContext(ctx, s.q(`UPDATE outbox SET `+set+` WHERE id = ? RETURNING `+outboxCols), args...))
	if err != nil {
		return nil, notFound(err, "update outbox item")
	}
	return o, nil
}

// alertEvent records an alert's fate on the escalation's conversation.
// Items that deliver a stored message are not alerts and get no event.
func (s *SQL) alertEvent(ctx context.Context, tx *sql.Tx, o *OutboxItem, kind, body string, now int64) error {
	if o.MessageID != nil || o.EscalationID == nil {
		return nil
	}
	var convID int64
	err := s.wq(tx).QueryRowContext(ctx, s.q(`SELECT conversation_id FROM escalations WHERE id = ?`), *o.EscalationID).Scan(&convID)
	if err == sql.ErrNoRows {
		return nil // escalation purged
	}
	if err != nil {
		return fmt.Errorf("store: alert event: %w", err)
	}
	return s.insertEvent(ctx, tx, &Event{ConversationID: convID, EscalationID: o.EscalationID, Kind: kind,
		ActorName: "system", Body: body, CreatedAt: fromMS(now)})
}

// alertTarget describes an alert's destination without leaking secrets: a
// phone number's last four digits, or just "webhook" (URLs carry tokens).
func alertTarget(o *OutboxItem) string {
	if o.Kind == OutboxSMS {
		t := o.Target
		if len(t) > 4 {
			t = t[len(t)-4:]
		}
		return "sms to …" + t
	}
	return o.Kind
}

// OutboxSent marks an item delivered to the provider. If it carries a
// stored message, that message gets the provider's ID and status "sent"
// (unless a status callback already moved it further); an alert gets an
// "alert_sent" event.
func (s *SQL) OutboxSent(ctx context.Context, id int64, externalID string) error {
	return s.writeGrouped(ctx, func(tx *sql.Tx) error {
		ctx := context.WithoutCancel(ctx) // see writeGrouped
		now := s.nowMS()
		o, err := s.finishOutbox(ctx, tx, id, `status = 'sent', external_id = ?, last_error = '', updated_at = ?`, externalID, now)
		if err != nil {
			return err
		}
		if o.MessageID != nil {
			ph, args := lowerStatuses(MsgSent)
			args = append([]any{now, *o.MessageID}, args...)
			if _, err := s.wq(tx).ExecContext(ctx, s.q(`UPDATE messages SET status = 'sent', updated_at = ?
				WHERE id = ? AND status IN (`+ph+`)`), args...); err != nil {
				return fmt.Errorf("store: outbox sent: %w", err)
			}
			if externalID != "" {
				if _, err := s.wq(tx).ExecContext(ctx, s.q(`UPDATE messages SET external_id = ? WHERE id = ?`), externalID, *o.MessageID); err != nil {
					return fmt.Errorf("store: outbox sent: %w", err)
				}
			}
		}
		return s.alertEvent(ctx, tx, o, EventAlertSent, alertTarget(o), now)
	})
}

// OutboxRetry returns a leased item to pending, to be tried at next.
func (s *SQL) OutboxRetry(ctx context.Context, id int64, errMsg string, next time.Time) error {
	return s.writeGrouped(ctx, func(tx *sql.Tx) error {
		ctx := context.WithoutCancel(ctx) // see writeGrouped
		_, err := s.finishOutbox(ctx, tx, id, `status = 'pending', last_error = ?, next_attempt_at = ?, updated_at = ?`,
			errMsg, ms(next), s.nowMS())
		return err
	})
}

// OutboxFailed gives up on an item for good: the item is "failed", the
// message it delivers (if any) is "failed" with errMsg as its error code,
// and an alert gets an "alert_failed" event.
func (s *SQL) OutboxFailed(ctx context.Context, id int64, errMsg string) error {
	return s.writeGrouped(ctx, func(tx *sql.Tx) error {
		ctx := context.WithoutCancel(ctx) // see writeGrouped
		now := s.nowMS()
		o, err := s.finishOutbox(ctx, tx, id, `status = 'failed', last_error = ?, updated_at = ?`, errMsg, now)
		if err != nil {
			return err
		}
		if o.MessageID != nil {
			if _, err := s.wq(tx).ExecContext(ctx, s.q(`UPDATE messages SET status = 'failed', error_code = ?, updated_at = ? WHERE id = ?`),
				errMsg, now, *o.MessageID); err != nil {
				return fmt.Errorf("store: outbox failed: %w", err)
			}
		}
		return s.alertEvent(ctx, tx, o, EventAlertFailed, alertTarget(o)+": "+errMsg, now)
	})
}

// OutboxStats counts items not yet delivered (pending or sending) and
// items that failed for good.
func (s *SQL) OutboxStats(ctx context.Context) (pending, failed int, err error) {
	err = s.rq().QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN status IN ('pending', 'sending') THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0)
		FROM outbox`).Scan(&pending, &failed)
	if err != nil {
		return 0, 0, fmt.Errorf("store: outbox stats: %w", err)
	}
	return pending, failed, nil
}
