package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

const messageCols = `id, conversation_id, direction, author, staff_id, body, intent, faq_id, confidence,
	external_id, reply_to, status, error_code, created_at, updated_at, phrasing, llm_fallback, curated_body`

func scanMessage(sc scanner) (*Message, error) {
	var (
		m                Message
		staff, replyTo   sql.NullInt64
		ext              sql.NullString
		created, updated int64
	)
	if err := sc.Scan(&m.ID, &m.ConversationID, &m.Direction, &m.Author, &staff, &m.Body, &m.Intent,
		&m.FAQID, &m.Confidence, &ext, &replyTo, &m.Status, &m.ErrorCode, &created, &updated,
		&m.Phrasing, &m.LLMFallback, &m.Curated); err != nil {
		return nil, err
	}
	m.StaffID = idPtr(staff)
	m.ReplyTo = idPtr(replyTo)
	m.ExternalID = ext.String
	m.CreatedAt = fromMS(created)
	m.UpdatedAt = fromMS(updated)
	return &m, nil
}

func (s *SQL) queryMessages(ctx context.Context, q queryer, query string, args ...any) ([]Message, error) {
	return queryList(ctx, q, "messages", s.q(query), scanMessage, args...)
}

// Messages returns all of a conversation's messages, oldest first.
func (s *SQL) Messages(ctx context.Context, conversationID int64) ([]Message, error) {
	return s.queryMessages(ctx, s.rq(), `SELECT `+messageCols+` FROM messages
		WHERE conversation_id = ? ORDER BY id`, conversationID)
}

// RecentMessages returns a conversation's last n messages, oldest first.
func (s *SQL) RecentMessages(ctx context.Context, conversationID int64, n int) ([]Message, error) {
	if n <= 0 {
		return nil, nil
	}
	msgs, err := s.queryMessages(ctx, s.rq(), `SELECT `+messageCols+` FROM messages
		WHERE conversation_id = ? ORDER BY id DESC LIMIT ?`, conversationID, n)
	if err != nil {
		return nil, err
	}
	slices.Reverse(msgs)
	return msgs, nil
}

// Message returns one message by id.
func (s *SQL) Message(ctx context.Context, id int64) (*Message, error) {
	return s.messageBy(ctx, s.rq(), `id = ?`, id)
}

func (s *SQL) messageBy(ctx context.Context, q queryer, where string, args ...any) (*Message, error) {
	m, err := scanMessage(q.QueryRowContext(ctx, s.q(`SELECT `+messageCols+` FROM messages WHERE `+where+` ORDER BY id LIMIT 1`), args...))
	if err != nil {
		return nil, notFound(err, "message")
	}
	return m, nil
}

// insertMessage inserts m and sets its ID. An empty ExternalID is stored as
// NULL (unique only when set).
func (s *SQL) insertMessage(ctx context.Context, tx *sql.Tx, m *Message) error {
	var err error
	m.ID, _, err = s.insertID(ctx, s.wq(tx), `INSERT INTO messages
		(conversation_id, direction, author, staff_id, body, intent, faq_id, confidence,
		 external_id, reply_to, status, error_code, created_at, updated_at, phrasing, llm_fallback, curated_body)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ConversationID, m.Direction, m.Author, nullID(m.StaffID), m.Body, m.Intent, m.FAQID, m.Confidence,
		nullStr(m.ExternalID), nullID(m.ReplyTo), m.Status, m.ErrorCode, ms(m.CreatedAt), ms(m.UpdatedAt),
		m.Phrasing, m.LLMFallback, m.Curated)
	if err != nil {
		return fmt.Errorf("store: insert message: %w", err)
	}
	return nil
}

// statusRank orders Twilio's outbound statuses so callbacks that arrive out
// of order never move a message backwards. Terminal statuses share a rank:
// the first one recorded wins.
var statusRank = map[string]int{
	MsgQueued:    1,
	"accepted":   1,
	"scheduled":  1,
	"sending":    2,
	MsgSent:      3,
	MsgDelivered: 4, MsgUndelivered: 4, MsgFailed: 4, "canceled": 4,
	"read": 5,
}

// lowerStatuses returns the statuses a message may move from to reach
// status, as SQL placeholders and arguments.
func lowerStatuses(status string) (string, []any) {
	r, ok := statusRank[status]
	if !ok {
		r = 1 // an unknown status never overrides a known later one
	}
	ph := make([]string, 0, len(statusRank))
	args := make([]any, 0, len(statusRank))
	for st, rr := range statusRank {
		if rr < r {
			ph = append(ph, "?")
			args = append(args, st)
		}
	}
	if len(ph) == 0 {
		return "", nil
	}
	return strings.Join(ph, ", "), args
}

// UpdateMessageStatus records a Twilio status callback for the outbound
// message with this MessageSid. A status that is not later than the stored
// one is ignored (callbacks arrive out of order). Unknown SID: ErrNotFound.
func (s *SQL) UpdateMessageStatus(ctx context.Context, externalID, status, errorCode string) error {
	if externalID == "" {
		return ErrNotFound
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		ph, args := lowerStatuses(status)
		if ph != "" {
			args = append([]any{status, errorCode, s.nowMS(), externalID}, args...)
			res, err := s.wq(tx).ExecContext(ctx, s.q(`UPDATE messages SET status = ?, error_code = ?, updated_at = ?
				WHERE external_id = ? AND direction = 'out' AND status IN (`+ph+`)`), args...)
			if err != nil {
				return fmt.Errorf("store: update message status: %w", err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				return nil
			}
		}
		var one int
		err := s.wq(tx).QueryRowContext(ctx, s.q(`SELECT 1 FROM messages WHERE external_id = ?`), externalID).Scan(&one)
		if err != nil {
			return notFound(err, "update message status")
		}
		return nil // known message, stale or same status: ignored
	})
}

// errDuplicateExchange rolls back RecordExchange's transaction on a retry.
var errDuplicateExchange = errors.New("duplicate exchange")

// RecordExchange stores one inbound message and everything decided about it
// in one transaction. See Exchange. A repeated ExternalID writes nothing and
// returns the first exchange's records with Duplicate set.
func (s *SQL) RecordExchange(ctx context.Context, ex Exchange) (ExchangeResult, error) {
	if ex.Channel == "" || ex.Address == "" {
		return ExchangeResult{}, errors.New("store: record exchange: channel and address are required")
	}
	if ex.Escalate != nil && (ex.Escalate.Kind == "" || ex.Escalate.Priority == "") {
		return ExchangeResult{}, errors.New("store: record exchange: escalation needs kind and priority")
	}
	for _, a := range ex.Alerts {
		if a.Kind != OutboxSMS && a.Kind != OutboxWebhook {
			return ExchangeResult{}, fmt.Errorf("store: record exchange: bad alert kind %q", a.Kind)
		}
	}
	at := s.at(ex.At)
	atMS := ms(at)
	var res ExchangeResult

	// Once its turn comes, the exchange is written whole: a cancelled
	// statement would roll back the other exchanges committed with it.
	octx := ctx
	ctx = context.WithoutCancel(ctx)
	err := s.writeGrouped(octx, func(tx *sql.Tx) error {
		res = ExchangeResult{}
		// Finding the conversation also records the activity (Purge keys
		// on updated_at), here or in applyConversationChanges, and on
		// PostgreSQL locks its row until commit: one patient's concurrent
		// messages are decided one after another.
		conv, recorded, err := s.exchangeConversation(ctx, tx, ex.Channel, ex.Address, atMS)
		if err != nil {
			return err
		}
		res.Conversation = conv

		in := &Message{
			ConversationID: conv.ID, Direction: DirectionIn, Author: AuthorPatient,
			Body: ex.Body, Intent: ex.Intent, FAQID: ex.FAQID, Confidence: ex.Confidence,
			ExternalID: ex.ExternalID, Status: MsgReceived, CreatedAt: at, UpdatedAt: at,
		}
		// The idempotency decision: one atomic insert keyed on the SID.
		var inserted bool
		in.ID, inserted, err = s.insertID(ctx, s.wq(tx), `INSERT INTO messages
			(conversation_id, direction, author, body, intent, faq_id, confidence, faq_version,
			 external_id, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (external_id) DO NOTHING`,
			in.ConversationID, in.Direction, in.Author, in.Body, in.Intent, in.FAQID, in.Confidence, ex.FAQVersion,
			nullStr(in.ExternalID), in.Status, atMS, atMS)
		if err != nil {
			return fmt.Errorf("store: insert inbound message: %w", err)
		}
		if !inserted {
			return errDuplicateExchange // rolls back a new conversation too
		}
		res.Inbound = in

		if err := s.applyConversationChanges(ctx, tx, conv, ex, at, recorded); err != nil {
			return err
		}

		if ex.Escalate != nil {
			if err := s.escalate(ctx, tx, conv, in, ex, at, &res); err != nil {
				return err
			}
		}

		if ex.Reply != "" {
			st := ex.ReplyStatus
			if st == "" {
				st = MsgSent
			}
			reply := &Message{
				ConversationID: conv.ID, Direction: DirectionOut, Author: AuthorBot, Body: ex.Reply,
				ReplyTo: &in.ID, Status: st, CreatedAt: at, UpdatedAt: at,
				Phrasing: ex.ReplyPhrasing, LLMFallback: ex.ReplyFallback, Curated: ex.ReplyCurated,
			}
			if err := s.insertMessage(ctx, tx, reply); err != nil {
				return err
			}
			res.Reply = reply
		}

		for _, a := range ex.Alerts {
			if res.Joined != nil {
				break // staff were alerted when it opened
			}
			item := a
			if res.Escalation != nil {
				id := res.Escalation.ID
				if item.EscalationID == nil {
					item.EscalationID = &id
				}
				item.Body = strings.ReplaceAll(item.Body, "{escalation_id}", fmt.Sprint(id))
				item.Urgent = item.Urgent || res.Escalation.Priority == PriorityUrgent
			}
			item.Status = OutboxPending
			item.Attempts = 0
			if item.NextAttemptAt.IsZero() {
				item.NextAttemptAt = at
			}
			item.CreatedAt, item.UpdatedAt = at, at
			if err := s.insertOutbox(ctx, tx, &item); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, errDuplicateExchange) {
		res = ExchangeResult{Duplicate: true}
		if err := s.loadExchange(ctx, s.rq(), ex.ExternalID, &res); err != nil {
			return ExchangeResult{}, err
		}
		return res, nil
	}
	if err != nil {
		return ExchangeResult{}, err
	}
	return res, nil
}

// escalate opens the escalation ex asks for, or joins the conversation's
// active one (see Exchange.Escalate). It runs inside RecordExchange's
// transaction, after the conversation row was written (and so, on
// PostgreSQL, locked): concurrent messages of one patient see each other's
// escalations. The unique index escalations_one_active backs it up.
func (s *SQL) escalate(ctx context.Context, tx *sql.Tx, conv *Conversation, in *Message, ex Exchange, at time.Time, res *ExchangeResult) error {
	q := s.wq(tx)
	active, err := scanEscalation(q.QueryRowContext(ctx, s.q(escalationSelect+`
		WHERE e.conversation_id = ? AND e.status IN ('open', 'claimed')
		ORDER BY CASE e.priority WHEN 'urgent' THEN 0 ELSE 1 END, e.id DESC LIMIT 1`), conv.ID))
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return fmt.Errorf("store: find active escalation: %w", err)
	case active.Priority == PriorityUrgent || ex.Escalate.Priority != PriorityUrgent:
		// Join: bump it so staff see the thread moved.
		atMS := ms(at)
		if _, err := q.ExecContext(ctx, s.q(`UPDATE escalations SET updated_at = ? WHERE id = ? AND updated_at < ?`),
			atMS, active.ID, atMS); err != nil {
			return fmt.Errorf("store: bump escalation: %w", err)
		}
		if ms(active.UpdatedAt) < atMS {
			active.UpdatedAt = fromMS(atMS)
		}
		res.Joined = active
		return nil
	}
	esc := &Escalation{
		ConversationID: conv.ID, MessageID: &in.ID, Kind: ex.Escalate.Kind,
		Priority: ex.Escalate.Priority, Status: EscOpen, CreatedAt: at, UpdatedAt: at,
		Channel: conv.Channel, Address: conv.Address, PatientName: conv.Name, MessageBody: ex.Body,
	}
	esc.ID, _, err = s.insertID(ctx, q, `INSERT INTO escalations
		(conversation_id, message_id, kind, priority, status, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		esc.ConversationID, in.ID, esc.Kind, esc.Priority, esc.Status, ms(at), ms(at))
	if err != nil {
		return fmt.Errorf("store: insert escalation: %w", err)
	}
	if err := s.insertEvent(ctx, tx, &Event{
		ConversationID: conv.ID, EscalationID: &esc.ID, Kind: EventEscalated,
		ActorName: AuthorBot, Body: esc.Kind + " (" + esc.Priority + ")", CreatedAt: at,
	}); err != nil {
		return err
	}
	res.Escalation = esc
	return nil
}

// applyConversationChanges applies an exchange's language, topic and
// opt-out changes to conv (in the database and in memory), and its
// activity unless exchangeConversation already wrote it (recorded): one
// UPDATE for both.
func (s *SQL) applyConversationChanges(ctx context.Context, tx *sql.Tx, conv *Conversation, ex Exchange, at time.Time, recorded bool) error {
	changed := !recorded
	if ex.Lang != "" && ex.Lang != conv.Lang {
		conv.Lang, changed = ex.Lang, true
	}
	if ex.LastFAQID != "" && ex.LastFAQID != conv.LastFAQID {
		conv.LastFAQID, changed = ex.LastFAQID, true
	}
	var ev string
	if ex.OptOut != nil && *ex.OptOut != conv.OptedOut {
		changed = true
		conv.OptedOut = *ex.OptOut
		if conv.OptedOut {
			t := at
			conv.OptedOutAt = &t
			ev = EventOptedOut
		} else {
			conv.OptedOutAt = nil
			ev = EventOptedIn
		}
	}
	if !changed {
		return nil // nothing to write
	}
	_, err := s.wq(tx).ExecContext(ctx, s.q(`UPDATE conversations SET lang = ?, last_faq_id = ?, opted_out = ?, opted_out_at = ?,
		updated_at = ? WHERE id = ?`), conv.Lang, conv.LastFAQID, b2i(conv.OptedOut), nullMS(conv.OptedOutAt), ms(conv.UpdatedAt), conv.ID)
	if err != nil {
		return fmt.Errorf("store: update conversation: %w", err)
	}
	if ev != "" {
		return s.insertEvent(ctx, tx, &Event{ConversationID: conv.ID, Kind: ev, ActorName: AuthorPatient, CreatedAt: at})
	}
	return nil
}

// loadExchange fills res with what was stored for an inbound SID.
func (s *SQL) loadExchange(ctx context.Context, q queryer, externalID string, res *ExchangeResult) error {
	in, err := s.messageBy(ctx, q, `external_id = ?`, externalID)
	if err != nil {
		return fmt.Errorf("store: load duplicate exchange: %w", err)
	}
	res.Inbound = in
	conv, err := s.conversationByID(ctx, q, in.ConversationID)
	if err != nil {
		return fmt.Errorf("store: load duplicate exchange: %w", err)
	}
	res.Conversation = conv
	// The reply follows its message in the same conversation: found through
	// messages_conversation (there is no index on reply_to).
	reply, err := s.messageBy(ctx, q, `conversation_id = ? AND id > ? AND reply_to = ? AND direction = 'out' AND author = 'bot'`,
		in.ConversationID, in.ID, in.ID)
	switch {
	case err == nil:
		res.Reply = reply
	case !errors.Is(err, ErrNotFound):
		return err
	}
	esc, err := s.escalationBy(ctx, q, `e.message_id = ?`, in.ID)
	switch {
	case err == nil:
		res.Escalation = esc
	case !errors.Is(err, ErrNotFound):
		return err
	}
	return nil
}

// exchangeConversation finds or creates the conversation an inbound
// message belongs to, inside RecordExchange's transaction, with its
// updated_at moved to atMS. recorded reports whether that is already
// written; if not, applyConversationChanges writes it with the exchange's
// other changes.
//
// PostgreSQL upserts (which also locks the row: replicas take turns). The
// one SQLite writer reads and then writes only what changed: a read by the
// unique index and an UPDATE by id cost less there than an upsert with
// RETURNING (BenchmarkRecordExchangeMix), and the writer is the only
// one, so nothing can come between the two.
func (s *SQL) exchangeConversation(ctx context.Context, tx *sql.Tx, channel, address string, atMS int64) (*Conversation, bool, error) {
	if s.url != "" {
		conv, err := scanConversation(s.wq(tx).QueryRowContext(ctx, s.q(`INSERT INTO conversations
			(channel, address, created_at, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (channel, address) DO UPDATE SET updated_at = CASE
				WHEN conversations.updated_at < excluded.updated_at THEN excluded.updated_at
				ELSE conversations.updated_at END
			RETURNING `+conversationCols), channel, address, atMS, atMS))
		if err != nil {
			return nil, false, fmt.Errorf("store: upsert conversation: %w", err)
		}
		return conv, true, nil
	}
	conv, err := s.conversationBy(ctx, s.wq(tx), channel, address)
	switch {
	case err == nil:
		if ms(conv.UpdatedAt) < atMS {
			conv.UpdatedAt = fromMS(atMS)
			return conv, false, nil
		}
		return conv, true, nil
	case !errors.Is(err, ErrNotFound):
		return nil, false, fmt.Errorf("store: find conversation: %w", err)
	}
	conv = &Conversation{Channel: channel, Address: address, CreatedAt: fromMS(atMS), UpdatedAt: fromMS(atMS)}
	conv.ID, _, err = s.insertID(ctx, s.wq(tx), `INSERT INTO conversations (channel, address, created_at, updated_at) VALUES (?, ?, ?, ?)`,
		channel, address, atMS, atMS)
	if err != nil {
		return nil, false, fmt.Errorf("store: insert conversation: %w", err)
	}
	return conv, true, nil
}
