package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// normEmail is the stored form of an email: trimmed and lower-cased, which
// makes the UNIQUE constraint case-insensitive on every engine.
func normEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

const staffCols = `id, email, name, password_hash, admin, disabled, created_at, updated_at`

func scanStaff(sc scanner) (*StaffUser, error) {
	var (
		u                StaffUser
		admin, disabled  int
		created, updated int64
	)
	if err := sc.Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, &admin, &disabled, &created, &updated); err != nil {
		return nil, err
	}
	u.Admin, u.Disabled = admin != 0, disabled != 0
	u.CreatedAt, u.UpdatedAt = fromMS(created), fromMS(updated)
	return &u, nil
}

// CreateStaff adds a staff account. The email is stored lower-cased; an
// existing one is ErrDuplicate. passwordHash is the caller's bcrypt/argon2id.
func (s *SQL) CreateStaff(ctx context.Context, email, name, passwordHash string, admin bool) (*StaffUser, error) {
	email = normEmail(email)
	if email == "" {
		return nil, errors.New("store: create staff: empty email")
	}
	var u *StaffUser
	err := s.writeQuiet(ctx, func(tx *sql.Tx) error {
		now := s.nowMS()
		var err error
		u, err = scanStaff(s.wq(tx).QueryRowContext(ctx, s.q(`INSERT INTO staff_users
			(email, name, password_hash, admin, disabled, created_at, updated_at)
			VALUES (?, ?, ?, ?, 0, ?, ?) RETURNING `+staffCols), email, name, passwordHash, b2i(admin), now, now))
		if s.d.isUnique(err) {
			return ErrDuplicate
		}
		if err != nil {
			return fmt.Errorf("store: create staff: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// StaffByEmail finds a staff account by email, case-insensitively.
func (s *SQL) StaffByEmail(ctx context.Context, email string) (*StaffUser, error) {
	u, err := scanStaff(s.rq().QueryRowContext(ctx, s.q(`SELECT `+staffCols+` FROM staff_users WHERE email = ?`), normEmail(email)))
	if err != nil {
		return nil, notFound(err, "staff by email")
	}
	return u, nil
}

// StaffByID finds a staff account by id.
func (s *SQL) StaffByID(ctx context.Context, id int64) (*StaffUser, error) {
	u, err := scanStaff(s.rq().QueryRowContext(ctx, s.q(`SELECT `+staffCols+` FROM staff_users WHERE id = ?`), id))
	if err != nil {
		return nil, notFound(err, "staff by id")
	}
	return u, nil
}

// ListStaff lists all staff accounts by name.
func (s *SQL) ListStaff(ctx context.Context) ([]StaffUser, error) {
	return queryList(ctx, s.rq(), "list staff", `SELECT `+staffCols+` FROM staff_users ORDER BY name, id`, scanStaff)
}

// SetStaffPassword replaces a staff member's password hash. Existing
// sessions are kept; call DeleteSessionsForUser to sign them out.
func (s *SQL) SetStaffPassword(ctx context.Context, id int64, passwordHash string) error {
	return s.writeQuiet(ctx, func(tx *sql.Tx) error {
		res, err := s.wq(tx).ExecContext(ctx, s.q(`UPDATE staff_users SET password_hash = ?, updated_at = ? WHERE id = ?`),
			passwordHash, s.nowMS(), id)
		return affected(res, err, "set staff password")
	})
}

// SetStaffDisabled disables or re-enables an account. Disabling also
// deletes the account's sessions and hands the escalations it holds back
// to the open queue (so its patients are not left silenced), in the same
// transaction.
func (s *SQL) SetStaffDisabled(ctx context.Context, id int64, disabled bool) error {
	return s.writeQuiet(ctx, func(tx *sql.Tx) error {
		res, err := s.wq(tx).ExecContext(ctx, s.q(`UPDATE staff_users SET disabled = ?, updated_at = ? WHERE id = ?`),
			b2i(disabled), s.nowMS(), id)
		if err := affected(res, err, "set staff disabled"); err != nil {
			return err
		}
		if disabled {
			if _, err := s.wq(tx).ExecContext(ctx, s.q(`DELETE FROM sessions WHERE user_id = ?`), id); err != nil {
				return fmt.Errorf("store: set staff disabled: %w", err)
			}
			return s.releaseClaimsOf(ctx, tx, id, "account disabled")
		}
		return nil
	})
}

const sessionCols = `id, token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at`

func scanSession(sc scanner, extra ...any) (*Session, error) {
	var (
		ss                     Session
		created, seen, expires int64
	)
	dest := append([]any{&ss.ID, &ss.TokenHash, &ss.UserID, &ss.CSRFToken, &created, &seen, &expires}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	ss.CreatedAt, ss.LastSeenAt, ss.ExpiresAt = fromMS(created), fromMS(seen), fromMS(expires)
	return &ss, nil
}

// CreateSession stores a session under the hash of its token.
func (s *SQL) CreateSession(ctx context.Context, tokenHash string, userID int64, csrf string, expires time.Time) (*Session, error) {
	var ss *Session
	err := s.writeQuiet(ctx, func(tx *sql.Tx) error {
		now := s.nowMS()
		var err error
		ss, err = scanSession(s.wq(tx).QueryRowContext(ctx, s.q(`INSERT INTO sessions
			(token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING `+sessionCols), tokenHash, userID, csrf, now, now, ms(expires)))
		if s.d.isUnique(err) {
			return ErrDuplicate
		}
		if err != nil {
			return fmt.Errorf("store: create session: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ss, nil
}

// SessionByHash returns a session and its user. It does not check expiry
// or the user's Disabled flag: the caller does, against its own clock.
func (s *SQL) SessionByHash(ctx context.Context, tokenHash string) (*Session, *StaffUser, error) {
	var (
		u                StaffUser
		admin, disabled  int
		created, updated int64
	)
	ss, err := scanSession(s.rq().QueryRowContext(ctx, s.q(`SELECT s.id, s.token_hash, s.user_id, s.csrf_token,
		s.created_at, s.last_seen_at, s.expires_at,
		u.id, u.email, u.name, u.password_hash, u.admin, u.disabled, u.created_at, u.updated_at
		FROM sessions s JOIN staff_users u ON u.id = s.user_id WHERE s.token_hash = ?`), tokenHash),
		&u.ID, &u.Email, &u.Name, &u.PasswordHash, &admin, &disabled, &created, &updated)
	if err != nil {
		return nil, nil, notFound(err, "session")
	}
	u.Admin, u.Disabled = admin != 0, disabled != 0
	u.CreatedAt, u.UpdatedAt = fromMS(created), fromMS(updated)
	return ss, &u, nil
}

// TouchSession records activity and slides the expiry.
func (s *SQL) TouchSession(ctx context.Context, id int64, lastSeen, expires time.Time) error {
	return s.writeQuiet(ctx, func(tx *sql.Tx) error {
		res, err := s.wq(tx).ExecContext(ctx, s.q(`UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id = ?`),
			ms(lastSeen), ms(expires), id)
		return affected(res, err, "touch session")
	})
}

// DeleteSession deletes one session (sign-out). Deleting a missing one is
// not an error.
func (s *SQL) DeleteSession(ctx context.Context, id int64) error {
	return s.exec(ctx, "delete session", `DELETE FROM sessions WHERE id = ?`, id)
}

// DeleteSessionsForUser signs a user out everywhere.
func (s *SQL) DeleteSessionsForUser(ctx context.Context, userID int64) error {
	return s.exec(ctx, "delete sessions", `DELETE FROM sessions WHERE user_id = ?`, userID)
}

// DeleteExpiredSessions deletes sessions that expired before now.
func (s *SQL) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := s.writeQuiet(ctx, func(tx *sql.Tx) error {
		res, err := s.wq(tx).ExecContext(ctx, s.q(`DELETE FROM sessions WHERE expires_at < ?`), ms(now))
		if err != nil {
			return fmt.Errorf("store: delete expired sessions: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

func (s *SQL) exec(ctx context.Context, what, query string, args ...any) error {
	return s.writeQuiet(ctx, func(tx *sql.Tx) error {
		if _, err := s.wq(tx).ExecContext(ctx, s.q(query), args...); err != nil {
			return fmt.Errorf("store: %s: %w", what, err)
		}
		return nil
	})
}

const tokenCols = `id, name, token_hash, created_at, last_used_at`

func scanToken(sc scanner) (*APIToken, error) {
	var (
		t       APIToken
		created int64
		used    sql.NullInt64
	)
	if err := sc.Scan(&t.ID, &t.Name, &t.TokenHash, &created, &used); err != nil {
		return nil, err
	}
	t.CreatedAt = fromMS(created)
	t.LastUsedAt = timePtr(used)
	return &t, nil
}

// CreateAPIToken stores an integration token's hash under a unique name
// (ErrDuplicate if taken).
func (s *SQL) CreateAPIToken(ctx context.Context, name, tokenHash string) (*APIToken, error) {
	if name == "" || tokenHash == "" {
		return nil, errors.New("store: create API token: empty name or hash")
	}
	var t *APIToken
	err := s.writeQuiet(ctx, func(tx *sql.Tx) error {
		var err error
		t, err = scanToken(s.wq(tx).QueryRowContext(ctx, s.q(`INSERT INTO api_tokens (name, token_hash, created_at)
			VALUES (?, ?, ?) RETURNING `+tokenCols), name, tokenHash, s.nowMS()))
		if s.d.isUnique(err) {
			return ErrDuplicate
		}
		if err != nil {
			return fmt.Errorf("store: create API token: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// APITokenByHash finds a token by the hash of the presented bearer token.
func (s *SQL) APITokenByHash(ctx context.Context, tokenHash string) (*APIToken, error) {
	t, err := scanToken(s.rq().QueryRowContext(ctx, s.q(`SELECT `+tokenCols+` FROM api_tokens WHERE token_hash = ?`), tokenHash))
	if err != nil {
		return nil, notFound(err, "API token")
	}
	return t, nil
}

// TouchAPIToken records a token's use.
func (s *SQL) TouchAPIToken(ctx context.Context, id int64, at time.Time) error {
	return s.writeQuiet(ctx, func(tx *sql.Tx) error {
		res, err := s.wq(tx).ExecContext(ctx, s.q(`UPDATE api_tokens SET last_used_at = ? WHERE id = ?`), ms(at), id)
		return affected(res, err, "touch API token")
	})
}

// ListAPITokens lists tokens by name (hashes included, never marshalled).
func (s *SQL) ListAPITokens(ctx context.Context) ([]APIToken, error) {
	return queryList(ctx, s.rq(), "list API tokens", `SELECT `+tokenCols+` FROM api_tokens ORDER BY name`, scanToken)
}

// DeleteAPIToken revokes a token (ErrNotFound if there is none).
func (s *SQL) DeleteAPIToken(ctx context.Context, id int64) error {
	return s.writeQuiet(ctx, func(tx *sql.Tx) error {
		res, err := s.wq(tx).ExecContext(ctx, s.q(`DELETE FROM api_tokens WHERE id = ?`), id)
		return affected(res, err, "delete API token")
	})
}

// Audit appends an audit entry (CreatedAt zero = now).
func (s *SQL) Audit(ctx context.Context, e AuditEntry) error {
	at := s.at(e.CreatedAt)
	return s.exec(ctx, "audit", `INSERT INTO audit_log
		(actor_id, actor_name, action, escalation_id, detail, remote_addr, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		nullID(e.ActorID), e.ActorName, e.Action, nullID(e.EscalationID), e.Detail, e.RemoteAddr, ms(at))
}

// AuditLog returns the newest entries first (limit <= 0: 100).
func (s *SQL) AuditLog(ctx context.Context, limit int) ([]AuditEntry, error) {
	if limit <= 0 {
		limit = 100
	}
	return queryList(ctx, s.rq(), "audit log", s.q(`SELECT id, actor_id, actor_name, action, escalation_id, detail, remote_addr, created_at
		FROM audit_log ORDER BY created_at DESC, id DESC LIMIT ?`), scanAudit, limit)
}

func scanAudit(sc scanner) (*AuditEntry, error) {
	var (
		e          AuditEntry
		actor, esc sql.NullInt64
		created    int64
	)
	if err := sc.Scan(&e.ID, &actor, &e.ActorName, &e.Action, &esc, &e.Detail, &e.RemoteAddr, &created); err != nil {
		return nil, err
	}
	e.ActorID, e.EscalationID, e.CreatedAt = idPtr(actor), idPtr(esc), fromMS(created)
	return &e, nil
}
