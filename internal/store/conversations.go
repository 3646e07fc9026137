package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/flsps/faqbot/internal/phone"
)

const conversationCols = `id, channel, address, name, lang, last_faq_id, opted_out, opted_out_at, created_at, updated_at,
	contact_phone, text_consent_at`

func scanConversation(sc scanner) (*Conversation, error) {
	var (
		c              Conversation
		optedOutAt     sql.NullInt64
		consentAt      sql.NullInt64
		optedOut       int
		created, updat int64
	)
	if err := sc.Scan(&c.ID, &c.Channel, &c.Address, &c.Name, &c.Lang, &c.LastFAQID,
		&optedOut, &optedOutAt, &created, &updat, &c.ContactPhone, &consentAt); err != nil {
		return nil, err
	}
	c.OptedOut = optedOut != 0
	c.OptedOutAt = timePtr(optedOutAt)
	c.CreatedAt = fromMS(created)
	c.UpdatedAt = fromMS(updat)
	c.TextConsentAt = timePtr(consentAt)
	return &c, nil
}

// Conversation returns the conversation of a channel and address.
func (s *SQL) Conversation(ctx context.Context, channel, address string) (*Conversation, error) {
	return s.conversationBy(ctx, s.rq(), channel, address)
}

func (s *SQL) conversationBy(ctx context.Context, q queryer, channel, address string) (*Conversation, error) {
	c, err := scanConversation(q.QueryRowContext(ctx,
		s.q(`SELECT `+conversationCols+` FROM conversations WHERE channel = ? AND address = ?`), channel, address))
	if err != nil {
		return nil, notFound(err, "conversation")
	}
	return c, nil
}

// ConversationByID returns a conversation by id.
func (s *SQL) ConversationByID(ctx context.Context, id int64) (*Conversation, error) {
	return s.conversationByID(ctx, s.rq(), id)
}

func (s *SQL) conversationByID(ctx context.Context, q queryer, id int64) (*Conversation, error) {
	c, err := scanConversation(q.QueryRowContext(ctx,
		s.q(`SELECT `+conversationCols+` FROM conversations WHERE id = ?`), id))
	if err != nil {
		return nil, notFound(err, "conversation")
	}
	return c, nil
}

// SetConversationName sets the patient's name as staff know it ("" clears).
func (s *SQL) SetConversationName(ctx context.Context, id int64, name string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := s.wq(tx).ExecContext(ctx, s.q(`UPDATE conversations SET name = ?, updated_at = ? WHERE id = ?`),
			name, s.nowMS(), id)
		return affected(res, err, "set conversation name")
	})
}

// SetChatContact records what a web-chat patient left for staff to reach
// them: their name (the conversation's Name), a mobile number in E.164 and
// the words of the consent to be texted they agreed to, which is kept as a
// "contact" event on the timeline with the time they agreed. Giving them
// again replaces the name and number and records a new event. It returns
// the conversation as it is now.
func (s *SQL) SetChatContact(ctx context.Context, id int64, name, number, consent string) (*Conversation, error) {
	if strings.TrimSpace(name) == "" || number == "" || strings.TrimSpace(consent) == "" {
		return nil, errors.New("store: set chat contact: name, number and consent are required")
	}
	var conv *Conversation
	err := s.write(ctx, func(tx *sql.Tx) error {
		now := s.nowMS()
		res, err := tx.ExecContext(ctx, s.q(`UPDATE conversations SET name = ?, contact_phone = ?, text_consent_at = ?, updated_at = ?
			WHERE id = ? AND channel = ?`), name, number, now, now, id, ChannelWeb)
		if err := affected(res, err, "set chat contact"); err != nil {
			return err
		}
		body := fmt.Sprintf("%s left mobile %s and agreed to be texted: %q", name, phone.Mask(number), consent)
		if err := s.insertEvent(ctx, tx, &Event{ConversationID: id, Kind: EventContact, ActorName: AuthorPatient,
			Body: body, CreatedAt: fromMS(now)}); err != nil {
			return err
		}
		conv, err = s.conversationByID(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return conv, nil
}

// touchConversation records activity on a conversation (Purge keys on it).
func (s *SQL) touchConversation(ctx context.Context, tx *sql.Tx, id int64, at int64) error {
	_, err := s.wq(tx).ExecContext(ctx, s.q(`UPDATE conversations SET updated_at = ? WHERE id = ? AND updated_at < ?`), at, id, at)
	if err != nil {
		return fmt.Errorf("store: touch conversation: %w", err)
	}
	return nil
}

// insertEvent adds a timeline event.
func (s *SQL) insertEvent(ctx context.Context, tx *sql.Tx, e *Event) error {
	var err error
	e.ID, _, err = s.insertID(ctx, s.wq(tx), `INSERT INTO events
		(conversation_id, escalation_id, kind, actor_id, actor_name, body, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		e.ConversationID, nullID(e.EscalationID), e.Kind, nullID(e.ActorID), e.ActorName, e.Body, ms(e.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: insert %s event: %w", e.Kind, err)
	}
	return nil
}

// Events returns a conversation's timeline events, oldest first.
func (s *SQL) Events(ctx context.Context, conversationID int64) ([]Event, error) {
	return queryList(ctx, s.rq(), "events", s.q(`SELECT id, conversation_id, escalation_id, kind, actor_id, actor_name, body, created_at
		FROM events WHERE conversation_id = ? ORDER BY created_at, id`), scanEvent, conversationID)
}

func scanEvent(sc scanner) (*Event, error) {
	var (
		e          Event
		escID, act sql.NullInt64
		created    int64
	)
	if err := sc.Scan(&e.ID, &e.ConversationID, &escID, &e.Kind, &act, &e.ActorName, &e.Body, &created); err != nil {
		return nil, err
	}
	e.EscalationID = idPtr(escID)
	e.ActorID = idPtr(act)
	e.CreatedAt = fromMS(created)
	return &e, nil
}

// affected turns an Exec result into ErrNotFound when no row matched.
func affected(res sql.Result, err error, what string) error {
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// at returns t, or the store's clock if t is zero, truncated to ms in UTC.
func (s *SQL) at(t time.Time) time.Time {
	if t.IsZero() {
		t = s.now()
	}
	return fromMS(t.UnixMilli())
}
