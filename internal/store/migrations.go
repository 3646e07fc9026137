package store

// migrations is the schema's history, applied in order at open inside one
// transaction; schema_version holds how many have been applied. Never edit
// or reorder an entry that has shipped: append a new one.
//
// Conventions: times are {{int}} unix milliseconds UTC; booleans are {{bool}}
// 0/1; an empty external ID is stored as NULL so UNIQUE ignores it.
var migrations = []string{
	// 1: conversations, messages, escalations, events, outbox.
	`CREATE TABLE conversations (
		id {{pk}},
		channel TEXT NOT NULL,
		address TEXT NOT NULL,
		name TEXT NOT NULL DEFAULT '',
		lang TEXT NOT NULL DEFAULT '',
		last_faq_id TEXT NOT NULL DEFAULT '',
		opted_out {{bool}} NOT NULL DEFAULT 0,
		opted_out_at {{int}},
		created_at {{int}} NOT NULL,
		updated_at {{int}} NOT NULL,
		UNIQUE (channel, address)
	);
	CREATE INDEX conversations_updated_at ON conversations (updated_at);
	CREATE TABLE messages (
		id {{pk}},
		conversation_id {{int}} NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
		direction TEXT NOT NULL,
		author TEXT NOT NULL,
		staff_id {{int}},
		body TEXT NOT NULL DEFAULT '',
		intent TEXT NOT NULL DEFAULT '',
		faq_id TEXT NOT NULL DEFAULT '',
		confidence {{float}} NOT NULL DEFAULT 0,
		external_id TEXT UNIQUE,
		reply_to {{int}},
		status TEXT NOT NULL,
		error_code TEXT NOT NULL DEFAULT '',
		created_at {{int}} NOT NULL,
		updated_at {{int}} NOT NULL
	);
	CREATE INDEX messages_conversation ON messages (conversation_id, id);
	CREATE INDEX messages_reply_to ON messages (reply_to);
	CREATE TABLE escalations (
		id {{pk}},
		conversation_id {{int}} NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
		message_id {{int}} REFERENCES messages (id) ON DELETE SET NULL,
		kind TEXT NOT NULL,
		priority TEXT NOT NULL,
		status TEXT NOT NULL,
		claimed_by {{int}},
		claimed_by_name TEXT NOT NULL DEFAULT '',
		claimed_at {{int}},
		resolved_at {{int}},
		outcome TEXT NOT NULL DEFAULT '',
		created_at {{int}} NOT NULL,
		updated_at {{int}} NOT NULL
	);
	CREATE INDEX escalations_status ON escalations (status, priority, created_at);
	CREATE INDEX escalations_conversation ON escalations (conversation_id, id);
	CREATE INDEX escalations_message ON escalations (message_id);
	CREATE TABLE events (
		id {{pk}},
		conversation_id {{int}} NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
		escalation_id {{int}} REFERENCES escalations (id) ON DELETE CASCADE,
		kind TEXT NOT NULL,
		actor_id {{int}},
		actor_name TEXT NOT NULL DEFAULT '',
		body TEXT NOT NULL DEFAULT '',
		created_at {{int}} NOT NULL
	);
	CREATE INDEX events_conversation ON events (conversation_id, id);
	CREATE INDEX events_escalation ON events (escalation_id);
	CREATE TABLE outbox (
		id {{pk}},
		kind TEXT NOT NULL,
		target TEXT NOT NULL,
		body TEXT NOT NULL,
		message_id {{int}} REFERENCES messages (id) ON DELETE SET NULL,
		escalation_id {{int}} REFERENCES escalations (id) ON DELETE SET NULL,
		attempts {{int}} NOT NULL DEFAULT 0,
		next_attempt_at {{int}} NOT NULL,
		status TEXT NOT NULL,
		last_error TEXT NOT NULL DEFAULT '',
		external_id TEXT NOT NULL DEFAULT '',
		created_at {{int}} NOT NULL,
		updated_at {{int}} NOT NULL
	);
	CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
	CREATE INDEX outbox_message ON outbox (message_id);
	CREATE INDEX outbox_escalation ON outbox (escalation_id)`,

	// 2: staff accounts, sessions, API tokens, audit log.
	`CREATE TABLE staff_users (
		id {{pk}},
		email TEXT NOT NULL UNIQUE,
		name TEXT NOT NULL,
		password_hash TEXT NOT NULL,
		admin {{bool}} NOT NULL DEFAULT 0,
		disabled {{bool}} NOT NULL DEFAULT 0,
		created_at {{int}} NOT NULL,
		updated_at {{int}} NOT NULL
	);
	CREATE TABLE sessions (
		id {{pk}},
		token_hash TEXT NOT NULL UNIQUE,
		user_id {{int}} NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
		csrf_token TEXT NOT NULL,
		created_at {{int}} NOT NULL,
		last_seen_at {{int}} NOT NULL,
		expires_at {{int}} NOT NULL
	);
	CREATE INDEX sessions_user ON sessions (user_id);
	CREATE TABLE api_tokens (
		id {{pk}},
		name TEXT NOT NULL UNIQUE,
		token_hash TEXT NOT NULL UNIQUE,
		created_at {{int}} NOT NULL,
		last_used_at {{int}}
	);
	CREATE TABLE audit_log (
		id {{pk}},
		actor_id {{int}},
		actor_name TEXT NOT NULL DEFAULT '',
		action TEXT NOT NULL,
		escalation_id {{int}},
		detail TEXT NOT NULL DEFAULT '',
		remote_addr TEXT NOT NULL DEFAULT '',
		created_at {{int}} NOT NULL
	);
	CREATE INDEX audit_log_created ON audit_log (created_at)`,

	// 3: per-staff read marks, for the inbox's unread state.
	`CREATE TABLE staff_reads (
		user_id {{int}} NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
		escalation_id {{int}} NOT NULL REFERENCES escalations (id) ON DELETE CASCADE,
		seen_at {{int}} NOT NULL,
		PRIMARY KEY (user_id, escalation_id)
	);
	CREATE INDEX staff_reads_escalation ON staff_reads (escalation_id)`,

	// 4: the FAQ version (content hash) that decided each inbound message.
	`ALTER TABLE messages ADD COLUMN faq_version TEXT NOT NULL DEFAULT ''`,

	// 5: reports read patient messages by time.
	`CREATE INDEX messages_created ON messages (created_at)`,

	// 6: how each bot reply was worded: by a language model ("llm") or as
	// curated ("curated"), why a model's answer fell back, and the curated
	// text a rephrased reply replaced (shown to staff).
	`ALTER TABLE messages ADD COLUMN phrasing TEXT NOT NULL DEFAULT '';
	ALTER TABLE messages ADD COLUMN llm_fallback TEXT NOT NULL DEFAULT '';
	ALTER TABLE messages ADD COLUMN curated_body TEXT NOT NULL DEFAULT ''`,

	// 7: web chat hand-off: the mobile number a web-chat patient left for
	// staff and when they agreed to be texted at it (the consent's wording
	// is a "contact" event on the conversation).
	`ALTER TABLE conversations ADD COLUMN contact_phone TEXT NOT NULL DEFAULT '';
	ALTER TABLE conversations ADD COLUMN text_consent_at {{int}}`,

	// 8: at most one active (open or claimed) escalation per conversation and
	// kind, enforced by the database. Duplicates left by the race this closes
	// are resolved (outcome "other"), keeping the oldest.
	`UPDATE escalations SET status = 'resolved', outcome = 'other', resolved_at = updated_at
		WHERE status IN ('open', 'claimed') AND EXISTS (SELECT 1 FROM escalations e2
			WHERE e2.conversation_id = escalations.conversation_id AND e2.kind = escalations.kind
			AND e2.status IN ('open', 'claimed') AND e2.id < escalations.id);
	CREATE UNIQUE INDEX escalations_one_active ON escalations (conversation_id, kind)
		WHERE status IN ('open', 'claimed')`,

	// 9: urgent outbox items (an emergency's staff alerts) are claimed first.
	`ALTER TABLE outbox ADD COLUMN urgent {{bool}} NOT NULL DEFAULT 0;
	CREATE INDEX outbox_claim ON outbox (status, urgent, next_attempt_at)`,

	// 10: fewer indexes to write per message. outbox_claim serves every
	// query outbox_due did; a reply is found by its conversation
	// (messages_conversation) rather than by reply_to; purge scans
	// conversations rather than keeping an index that every message moved.
	`DROP INDEX IF EXISTS outbox_due;
	DROP INDEX IF EXISTS messages_reply_to;
	DROP INDEX IF EXISTS conversations_updated_at`,
}
