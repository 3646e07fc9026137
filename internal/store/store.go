// Package store persists faqbot's conversations, messages, escalations,
// staff accounts and outbox behind one interface, Store.
//
// SQL is the implementation: portable SQL over database/sql with a small
// dialect seam. OpenSQLite opens it on a SQLite file (the default, one
// process); OpenPostgres on PostgreSQL through pgx's database/sql driver
// (several replicas); Open picks by FAQBOT_DATABASE_URL. One test suite
// runs on both (eachBackend; PostgreSQL where FAQBOT_TEST_DATABASE_URL is
// set, in a fresh schema per test).
//
// Dialect rules, for every query and migration in this package:
//   - Write "?" placeholders and pass queries through s.q (PostgreSQL gets
//     $1, $2, …). Never put a literal "?" in SQL text.
//   - Migrations use the type macros {{pk}}, {{int}}, {{float}}, {{bool}}
//     (see dialect.ddl); booleans are 0/1 integers, times unix ms integers.
//     Append migrations, one entry per change; DDL must run on both engines.
//   - Use what both engines accept: INSERT … ON CONFLICT (cols) DO NOTHING /
//     DO UPDATE SET … excluded.col, RETURNING, partial indexes (CREATE INDEX
//     … WHERE), CASE, COALESCE. Not: INSERT OR IGNORE/REPLACE, MAX(a, b) of
//     two values (use CASE), GREATEST, IFNULL, strftime/now(), ILIKE, "||"
//     on non-text, AUTOINCREMENT, boolean literals TRUE/FALSE in data.
//   - Writes go through s.write (announced to SubscribeChanges) or
//     s.writeQuiet; statements in a transaction through s.wq(tx), reads
//     through s.rq() (SQLite reuses prepared statements; pgx caches its own).
//   - Rows claimed by several workers or replicas: select them with
//     s.d.skipLocked() appended, then update by id (see ClaimOutbox).
//   - Decisions that must hold under concurrency (one active escalation,
//     one message per SID) are made inside the write transaction, after a
//     statement that locks the deciding row on PostgreSQL (RecordExchange's
//     conversation upsert) or backed by a unique index; SQLite has a single
//     writer, so its transactions are serial.
//   - Unique violations: s.d.isUnique(err), never the error text.
//
// Conventions: IDs are int64; times are stored as UTC unix milliseconds and
// returned as time.Time in UTC (so they are truncated to the millisecond);
// missing rows are ErrNotFound; optional IDs are *int64 (nil = none).
package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"
)

// Errors callers can test with errors.Is.
var (
	// ErrNotFound is returned for a row that does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict is returned when a state change is not allowed from the
	// row's current state (e.g. claiming an escalation someone else holds).
	ErrConflict = errors.New("store: conflict")
	// ErrDuplicate is returned when a unique value (email, token name) exists.
	ErrDuplicate = errors.New("store: duplicate")
	// ErrOptedOut is returned when a message would go to an opted-out patient.
	ErrOptedOut = errors.New("store: recipient has opted out")
)

// Channels.
const (
	ChannelSMS      = "sms"
	ChannelWhatsApp = "whatsapp"
	ChannelWeb      = "web"
)

// Message directions and authors.
const (
	DirectionIn  = "in"
	DirectionOut = "out"

	AuthorPatient = "patient"
	AuthorBot     = "bot"
	AuthorStaff   = "staff"
	AuthorSystem  = "system"
)

// Message statuses (Twilio's, plus "suppressed" for a reply the bot decided
// not to send).
const (
	MsgReceived    = "received"
	MsgQueued      = "queued"
	MsgSent        = "sent"
	MsgDelivered   = "delivered"
	MsgUndelivered = "undelivered"
	MsgFailed      = "failed"
	MsgSuppressed  = "suppressed"
)

// Escalation kinds, priorities, statuses and outcomes.
const (
	KindBooking   = "booking"
	KindHuman     = "human"
	KindUnknown   = "unknown"
	KindEmergency = "emergency"

	PriorityUrgent = "urgent"
	PriorityNormal = "normal"

	EscOpen     = "open"
	EscClaimed  = "claimed"
	EscResolved = "resolved"

	OutcomeBooked     = "booked"
	OutcomeAnswered   = "answered"
	OutcomeNoResponse = "no_response"
	OutcomeOther      = "other"
)

// Event kinds.
const (
	EventEscalated   = "escalated"
	EventClaimed     = "claimed"
	EventReleased    = "released"
	EventResolved    = "resolved"
	EventReopened    = "reopened"
	EventNote        = "note"
	EventAlertSent   = "alert_sent"
	EventAlertFailed = "alert_failed"
	EventOptedOut    = "opted_out"
	EventOptedIn     = "opted_in"
	EventContact     = "contact" // a web-chat patient left a name and number
)

// Outbox kinds and statuses.
const (
	OutboxSMS     = "sms"
	OutboxWebhook = "webhook"

	OutboxPending  = "pending"
	OutboxSending  = "sending"
	OutboxSentSt   = "sent"
	OutboxFailedSt = "failed"
)

// Conversation is one patient on one channel.
type Conversation struct {
	ID         int64      `json:"id"`
	Channel    string     `json:"channel"`
	Address    string     `json:"address"`
	Name       string     `json:"name"`
	Lang       string     `json:"lang"`
	LastFAQID  string     `json:"last_faq_id"`
	OptedOut   bool       `json:"opted_out"`
	OptedOutAt *time.Time `json:"opted_out_at"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	// ContactPhone is the E.164 mobile number a web-chat patient left for
	// staff, and TextConsentAt when they agreed to be texted at it (see
	// SetChatContact). Empty and nil on SMS and WhatsApp conversations,
	// whose Address is the number.
	ContactPhone  string     `json:"contact_phone"`
	TextConsentAt *time.Time `json:"text_consent_at"`
}

// TextAddress is the number texts to this patient go to: the Address of an
// SMS or WhatsApp conversation, a web-chat patient's consented
// ContactPhone, or "" when there is none.
func (c *Conversation) TextAddress() string {
	if c.Channel != ChannelWeb {
		return c.Address
	}
	if c.TextConsentAt != nil {
		return c.ContactPhone
	}
	return ""
}

// Message is one inbound or outbound text.
type Message struct {
	ID             int64     `json:"id"`
	ConversationID int64     `json:"conversation_id"`
	Direction      string    `json:"direction"`
	Author         string    `json:"author"`
	StaffID        *int64    `json:"staff_id"`
	Body           string    `json:"body"`
	Intent         string    `json:"intent"`
	FAQID          string    `json:"faq_id"`
	Confidence     float64   `json:"confidence"`
	ExternalID     string    `json:"external_id"`
	ReplyTo        *int64    `json:"reply_to"`
	Status         string    `json:"status"`
	ErrorCode      string    `json:"error_code"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	// For the bot's replies: Phrasing is "llm" when a language model
	// rephrased the curated answer, "curated" when the curated text went
	// ("" for messages stored before phrasing existed and for other
	// authors). LLMFallback says why a model's answer was refused or
	// failed; Curated is the curated text a phrased Body replaced.
	Phrasing    string `json:"phrasing,omitempty"`
	LLMFallback string `json:"llm_fallback,omitempty"`
	Curated     string `json:"curated,omitempty"`
}

// Escalation is a conversation handed to staff. The fields after UpdatedAt
// are joined from the conversation and the triggering message, for lists.
type Escalation struct {
	ID             int64      `json:"id"`
	ConversationID int64      `json:"conversation_id"`
	MessageID      *int64     `json:"message_id"`
	Kind           string     `json:"kind"`
	Priority       string     `json:"priority"`
	Status         string     `json:"status"`
	ClaimedBy      *int64     `json:"claimed_by"`
	ClaimedByName  string     `json:"claimed_by_name"`
	ClaimedAt      *time.Time `json:"claimed_at"`
	ResolvedAt     *time.Time `json:"resolved_at"`
	Outcome        string     `json:"outcome"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`

	Channel     string `json:"channel"`
	Address     string `json:"address"`
	PatientName string `json:"patient_name"`
	MessageBody string `json:"message_body"`
	// ContactPhone is the conversation's ContactPhone (web chat).
	ContactPhone string `json:"contact_phone"`
}

// TextAddress is the number texts to this escalation's patient go to (see
// Conversation.TextAddress), or "".
func (e *Escalation) TextAddress() string {
	if e.Channel != ChannelWeb {
		return e.Address
	}
	return e.ContactPhone
}

// Event is an entry on a conversation's timeline besides its messages.
type Event struct {
	ID             int64     `json:"id"`
	ConversationID int64     `json:"conversation_id"`
	EscalationID   *int64    `json:"escalation_id"`
	Kind           string    `json:"kind"`
	ActorID        *int64    `json:"actor_id"`
	ActorName      string    `json:"actor_name"`
	Body           string    `json:"body"`
	CreatedAt      time.Time `json:"created_at"`
}

// OutboxItem is one durable delivery: an SMS (Target = phone number) or a
// webhook POST (Target = URL).
type OutboxItem struct {
	ID            int64     `json:"id"`
	Kind          string    `json:"kind"`
	Target        string    `json:"target"`
	Body          string    `json:"body"`
	MessageID     *int64    `json:"message_id"`
	EscalationID  *int64    `json:"escalation_id"`
	Attempts      int       `json:"attempts"`
	NextAttemptAt time.Time `json:"next_attempt_at"`
	Status        string    `json:"status"`
	LastError     string    `json:"last_error"`
	ExternalID    string    `json:"external_id"`
	// Urgent items are claimed before all others (an emergency's alerts).
	Urgent    bool      `json:"urgent"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// StaffUser is a staff account. PasswordHash is never marshalled.
type StaffUser struct {
	ID           int64     `json:"id"`
	Email        string    `json:"email"`
	Name         string    `json:"name"`
	PasswordHash string    `json:"-"`
	Admin        bool      `json:"admin"`
	Disabled     bool      `json:"disabled"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Session is a server-side staff session. Only the SHA-256 hash of the
// cookie's token is stored (see HashToken).
type Session struct {
	ID         int64     `json:"id"`
	TokenHash  string    `json:"-"`
	UserID     int64     `json:"user_id"`
	CSRFToken  string    `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// APIToken is an integration's bearer token, stored hashed.
type APIToken struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	TokenHash  string     `json:"-"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

// AuditEntry records who did what.
type AuditEntry struct {
	ID           int64     `json:"id"`
	ActorID      *int64    `json:"actor_id"`
	ActorName    string    `json:"actor_name"`
	Action       string    `json:"action"`
	EscalationID *int64    `json:"escalation_id"`
	Detail       string    `json:"detail"`
	RemoteAddr   string    `json:"remote_addr"`
	CreatedAt    time.Time `json:"created_at"`
}

// NewEscalation asks RecordExchange to open an escalation.
type NewEscalation struct {
	Kind     string `json:"kind"`
	Priority string `json:"priority"`
}

// Exchange is everything the SMS webhook stores for one inbound message.
type Exchange struct {
	Channel    string
	Address    string
	ExternalID string // Twilio MessageSid: the idempotency key ("" = none)
	Body       string
	Intent     string
	FAQID      string
	Confidence float64
	FAQVersion string // the FAQ's content hash that made the decision
	Lang       string // "" = unchanged
	LastFAQID  string // "" = unchanged
	OptOut     *bool  // nil = unchanged; true = opt out; false = opt in
	// Reply is the bot's answer ("" = no reply stored). ReplyStatus is its
	// status ("sent" for a TwiML reply, "suppressed" for one not sent);
	// default "sent".
	Reply       string
	ReplyStatus string
	// ReplyPhrasing, ReplyFallback and ReplyCurated record how the reply
	// was worded (see Message.Phrasing).
	ReplyPhrasing string
	ReplyFallback string
	ReplyCurated  string
	// Escalate asks for staff. The store keeps one active escalation a
	// conversation, deciding inside the write transaction: the message joins
	// (and bumps) the active one unless it is urgent and the active one is
	// not, in which case an urgent escalation is opened beside it.
	Escalate *NewEscalation
	// Alerts are enqueued in the outbox. When an escalation is created, each
	// gets its EscalationID, "{escalation_id}" in Body is replaced by it and
	// an urgent escalation's alerts are Urgent. When Escalate joins an
	// active escalation, no alert is enqueued (staff were told already).
	// Status/Attempts are ignored; a zero NextAttemptAt means At.
	Alerts []OutboxItem
	At     time.Time // zero = now
}

// ExchangeResult is what RecordExchange stored (or, if Duplicate, what was
// stored the first time this ExternalID was seen).
type ExchangeResult struct {
	Conversation *Conversation
	Inbound      *Message
	Reply        *Message    // nil if no reply was stored
	Escalation   *Escalation // nil if none was created
	// Joined is the active escalation this message joined instead of
	// opening another (nil if none).
	Joined    *Escalation
	Duplicate bool
}

// EscalationFilter selects escalations. Empty Status = all; Limit <= 0 = no
// limit.
type EscalationFilter struct {
	Status []string
	Limit  int
}

// Store is the persistence seam of faqbot.
type Store interface {
	// Conversations and messages.
	Conversation(ctx context.Context, channel, address string) (*Conversation, error)
	ConversationByID(ctx context.Context, id int64) (*Conversation, error)
	SetConversationName(ctx context.Context, id int64, name string) error
	SetChatContact(ctx context.Context, id int64, name, phone, consent string) (*Conversation, error)
	InboundState(ctx context.Context, channel, address string, recent int, since time.Time) (InboundState, error)
	RecordExchange(ctx context.Context, ex Exchange) (ExchangeResult, error)
	Messages(ctx context.Context, conversationID int64) ([]Message, error)
	RecentMessages(ctx context.Context, conversationID int64, n int) ([]Message, error)
	Message(ctx context.Context, id int64) (*Message, error)
	Events(ctx context.Context, conversationID int64) ([]Event, error)
	UpdateMessageStatus(ctx context.Context, externalID, status, errorCode string) error

	// Escalations.
	Escalations(ctx context.Context, f EscalationFilter) ([]Escalation, error)
	Escalation(ctx context.Context, id int64) (*Escalation, error)
	ActiveEscalation(ctx context.Context, conversationID int64) (*Escalation, error)
	ClaimEscalation(ctx context.Context, id, staffID int64, staffName string) (*Escalation, error)
	ReleaseEscalation(ctx context.Context, id, staffID int64, staffName string) (*Escalation, error)
	ResolveEscalation(ctx context.Context, id, staffID int64, staffName, outcome, note string) (*Escalation, error)
	ReopenEscalation(ctx context.Context, id, staffID int64, staffName string) (*Escalation, error)
	CountOpen(ctx context.Context) (open, urgent int, err error)
	AddNote(ctx context.Context, escalationID, staffID int64, staffName, body string) (*Event, error)
	QueueStaffReply(ctx context.Context, escalationID, staffID int64, staffName, body string) (*Message, error)
	QueueOutbound(ctx context.Context, conversationID int64, author, body string) (*Message, error)

	// The staff inbox (inbox.go).
	Inbox(ctx context.Context, q InboxQuery) ([]InboxItem, int, error)
	QueueCounts(ctx context.Context, staffID int64) (QueueCounts, error)
	MarkSeen(ctx context.Context, escalationID, staffID int64) error
	ConversationOutbox(ctx context.Context, conversationID int64) ([]OutboxItem, error)
	OptOutRecipient(ctx context.Context, messageID int64, reason string) error
	NameConversationIfUnnamed(ctx context.Context, id int64, name string) (bool, error)
	TakeOverEscalation(ctx context.Context, id, staffID int64, staffName string) (*Escalation, error)

	// Outbox.
	ClaimOutbox(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]OutboxItem, error)
	OutboxSent(ctx context.Context, id int64, externalID string) error
	OutboxRetry(ctx context.Context, id int64, errMsg string, next time.Time) error
	OutboxFailed(ctx context.Context, id int64, errMsg string) error
	OutboxStats(ctx context.Context) (pending, failed int, err error)
	OutboxItem(ctx context.Context, id int64) (*OutboxItem, error)

	// Staff, sessions, API tokens, audit.
	CreateStaff(ctx context.Context, email, name, passwordHash string, admin bool) (*StaffUser, error)
	StaffByEmail(ctx context.Context, email string) (*StaffUser, error)
	StaffByID(ctx context.Context, id int64) (*StaffUser, error)
	ListStaff(ctx context.Context) ([]StaffUser, error)
	SetStaffPassword(ctx context.Context, id int64, passwordHash string) error
	SetStaffDisabled(ctx context.Context, id int64, disabled bool) error
	CreateSession(ctx context.Context, tokenHash string, userID int64, csrf string, expires time.Time) (*Session, error)
	SessionByHash(ctx context.Context, tokenHash string) (*Session, *StaffUser, error)
	TouchSession(ctx context.Context, id int64, lastSeen, expires time.Time) error
	DeleteSession(ctx context.Context, id int64) error
	DeleteSessionsForUser(ctx context.Context, userID int64) error
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error)
	CreateAPIToken(ctx context.Context, name, tokenHash string) (*APIToken, error)
	APITokenByHash(ctx context.Context, tokenHash string) (*APIToken, error)
	TouchAPIToken(ctx context.Context, id int64, at time.Time) error
	ListAPITokens(ctx context.Context) ([]APIToken, error)
	DeleteAPIToken(ctx context.Context, id int64) error
	Audit(ctx context.Context, e AuditEntry) error
	AuditLog(ctx context.Context, limit int) ([]AuditEntry, error)

	// Maintenance.
	Purge(ctx context.Context, before time.Time) (int64, error)
	Ping(ctx context.Context) error
	Close() error
}

// HashToken returns the hex SHA-256 of a raw session or API token: the only
// form in which tokens are stored.
func HashToken(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:])
}
