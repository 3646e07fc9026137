package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// SQL implements Store over database/sql. Writes go through w, a pool of one
// connection, so they are serialised in the process (SQLite has one writer
// at a time; with _txlock=immediate a write transaction takes the file's
// write lock at BEGIN, so other processes wait on busy_timeout instead of
// failing mid-transaction). Reads go through r, a read-only pool that WAL
// lets run in parallel with the writer.
type SQL struct {
	w, r *sql.DB
	d    dialect
	now  func() time.Time

	// wc and rc keep prepared statements for the writer and the read pool
	// (SQLite; see stmtCache).
	wc, rc *stmtCache

	changes *changeHub
	// notifyReq asks the PostgreSQL notifier for a NOTIFY (nil on SQLite).
	notifyReq chan struct{}
	group     *groupCommit  // SQLite: batches RecordExchange (nil = off)
	ckpt      *checkpointer // SQLite: checkpoints off the writer's path (nil = off)
	url       string        // the PostgreSQL URL ("" on SQLite)
	// stopListen ends the PostgreSQL LISTEN loop (nil on SQLite).
	stopListen func()
}

var _ Store = (*SQL)(nil)

// DBFile is the SQLite file's name inside faqbot's data directory.
const DBFile = "faqbot.db"

// OpenDataDir opens the store every faqbot command shares: SQLite in
// dataDir (FAQBOT_DATA_DIR).
func OpenDataDir(ctx context.Context, dataDir string) (*SQL, error) {
	return OpenSQLite(ctx, filepath.Join(dataDir, DBFile))
}

// OpenExistingDataDir is OpenDataDir for commands that only read or change
// what the server keeps (listing escalations, staff accounts, tokens): where
// there is no database it fails, saying so, instead of creating one.
func OpenExistingDataDir(ctx context.Context, dataDir string) (*SQL, error) {
	path := filepath.Join(dataDir, DBFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, &NoDatabaseError{Path: path}
	}
	return OpenDataDir(ctx, dataDir)
}

// NoDatabaseError is OpenExistingDataDir's error when the file does not
// exist.
type NoDatabaseError struct{ Path string }

func (e *NoDatabaseError) Error() string {
	return "no database at " + e.Path + " (run faqbot serve first or set FAQBOT_DATA_DIR)"
}

// unwrapPath drops an *fs.PathError's operation and path, which the caller's
// message already names ("cannot open X: permission denied", not "cannot
// open X: open X: permission denied").
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// OpenSQLite opens (creating if needed) the SQLite database at path, with
// WAL, a 5 s busy timeout and foreign keys on, and applies any pending
// migrations in one transaction.
func OpenSQLite(ctx context.Context, path string) (*SQL, error) {
	if path == "" {
		return nil, errors.New("store: empty database path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("store: cannot create data directory %s: %w", dir, unwrapPath(err))
		}
	}
	// Create the file ourselves so patient data is not world-readable.
	verb := "create"
	if _, err := os.Stat(path); err == nil {
		verb = "open"
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: cannot %s database file %s: %w", verb, path, unwrapPath(err))
	}
	f.Close()

	base := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=temp_store(2)"
	w, err := sql.Open("sqlite", base+"&_txlock=immediate"+fmt.Sprintf("&_pragma=wal_autocheckpoint(%d)", writerCheckpointPages))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)

	s := &SQL{w: w, d: sqliteDialect{}, now: time.Now, changes: newChangeHub()}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}

	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	s.r = r
	if err := r.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s.wc, s.rc = newStmtCache(w, true), newStmtCache(r, true)
	if err := s.startCheckpointer(base); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s.startGroupCommit()
	return s, nil
}

// migrate applies the migrations not yet recorded in schema_version.
func (s *SQL) migrate(ctx context.Context) error {
	return s.writeQuiet(ctx, func(tx *sql.Tx) error {
		if l := s.d.migrateLock(); l != "" {
			if _, err := tx.ExecContext(ctx, l); err != nil {
				return fmt.Errorf("store: lock for migrations: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
			return fmt.Errorf("store: create schema_version: %w", err)
		}
		var v int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v); err != nil {
			return fmt.Errorf("store: read schema version: %w", err)
		}
		if v > len(migrations) {
			return fmt.Errorf("store: database schema version %d is newer than this program (%d)", v, len(migrations))
		}
		for i := v; i < len(migrations); i++ {
			if _, err := tx.ExecContext(ctx, s.d.ddl(migrations[i])); err != nil {
				return fmt.Errorf("store: migration %d: %w", i+1, err)
			}
		}
		if v < len(migrations) {
			if _, err := tx.ExecContext(ctx, `DELETE FROM schema_version`); err != nil {
				return fmt.Errorf("store: record schema version: %w", err)
			}
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_version (version) VALUES (?)`), len(migrations)); err != nil {
				return fmt.Errorf("store: record schema version: %w", err)
			}
		}
		return nil
	})
}

// SchemaVersion reports how many migrations the database has applied.
func (s *SQL) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	return v, nil
}

// Ping checks that both pools reach the database.
func (s *SQL) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Close closes both pools.
func (s *SQL) Close() error {
	var err error
	if s.stopListen != nil {
		s.stopListen()
	}
	s.stopGroupCommit()
	s.ckpt.close()
	s.changes.close()
	s.wc.close()
	s.rc.close()
	if s.r != nil && s.r != s.w {
		err = s.r.Close()
	}
	if e := s.w.Close(); e != nil && err == nil {
		err = e
	}
	return err
}

// keyed is the context for the short read by key every inbound message
// makes (InboundState: its conversation, active escalation and recent
// replies in one statement): on SQLite it finishes in microseconds, less
// than it costs to watch ctx (the driver starts a goroutine per statement
// to interrupt it), so it is not cancelled; on PostgreSQL, across a
// network, it is.
func (s *SQL) keyed(ctx context.Context) context.Context {
	if s.url == "" {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// insertID runs an INSERT written without a RETURNING clause and returns
// the new row's id; ok is false when the insert did nothing (ON CONFLICT DO
// NOTHING). SQLite reports the id through Exec (sqlite3_last_insert_rowid),
// which skips the driver's row machinery: a third of an insert's cost in
// the webhook's write transaction; PostgreSQL returns it with RETURNING id.
func (s *SQL) insertID(ctx context.Context, q queryer, query string, args ...any) (id int64, ok bool, err error) {
	if s.url != "" {
		err = q.QueryRowContext(ctx, s.q(query+` RETURNING id`), args...).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, false, nil
		}
		return id, err == nil, err
	}
	res, err := q.ExecContext(ctx, s.q(query), args...)
	if err != nil {
		return 0, false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return 0, false, err
	}
	id, err = res.LastInsertId()
	return id, err == nil, err
}

// q rebinds a query for the dialect.
func (s *SQL) q(query string) string { return s.d.rebind(query) }

// write runs fn in a write transaction, committing if it returns nil, and
// then announces the change to SubscribeChanges (on PostgreSQL also to the
// other replicas, through NOTIFY; see announce).
func (s *SQL) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.writeTx(ctx, true, fn)
}

// writeQuiet is write for changes no screen shows live (sessions, tokens,
// accounts, the audit log).
func (s *SQL) writeQuiet(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.writeTx(ctx, false, fn)
}

func (s *SQL) writeTx(ctx context.Context, announce bool, fn func(tx *sql.Tx) error) error {
	s.wc.flush(ctx)
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	s.ckpt.committed()
	if announce {
		s.announce()
	}
	return nil
}

// announce tells this process's subscribers of a committed change at once
// and, on PostgreSQL, the other replicas through the notifier.
func (s *SQL) announce() {
	s.changes.notify()
	if s.notifyReq != nil {
		select {
		case s.notifyReq <- struct{}{}:
		default: // one is pending already: it covers this change too
		}
	}
}

// notifyGap is the least time between two NOTIFYs from one replica. NOTIFY
// inside each write transaction would serialise every commit on
// PostgreSQL's notification queue lock; one NOTIFY after a burst of commits
// tells the other replicas the same thing ("something changed"), at most
// this much later.
const notifyGap = 100 * time.Millisecond

// notifier sends NOTIFY for announce until ctx ends.
func (s *SQL) notifier(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.notifyReq:
		}
		if _, err := s.w.ExecContext(ctx, s.d.notifyStmt()); err != nil && ctx.Err() == nil {
			// The next change retries; the console also polls.
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(notifyGap):
		}
	}
}

// SubscribeChanges returns a channel that receives a value after writes
// that staff screens show (messages, escalations, outbox states) commit:
// in this process on SQLite, on any replica on PostgreSQL (LISTEN/NOTIFY).
// Notices carry no data and coalesce (the channel holds one); call cancel
// to unsubscribe. The channel is closed when the store closes.
func (s *SQL) SubscribeChanges() (<-chan struct{}, func()) { return s.changes.subscribe() }

// SetClock replaces the store's clock (time.Now by default). Tests give the
// store and every worker that reads its timestamps the same clock, so no test
// depends on today's date.
func (s *SQL) SetClock(now func() time.Time) { s.now = now }

// nowMS is the store's clock in unix milliseconds.
func (s *SQL) nowMS() int64 { return s.now().UnixMilli() }

// Time helpers: everything is stored as UTC unix milliseconds.

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func nullMS(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

func timePtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}

func idPtr(v sql.NullInt64) *int64 {
	if !v.Valid {
		return nil
	}
	id := v.Int64
	return &id
}

func nullID(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// staffRef maps a staff id to a nullable column value (0 = no staff user,
// e.g. an API integration).
func staffRef(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func staffPtr(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// notFound maps sql.ErrNoRows to ErrNotFound and wraps anything else.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return fmt.Errorf("store: %s: %w", what, err)
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// queryer is *sql.DB or *sql.Tx.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// queryList runs a query (already rebound with s.q) and scans every row.
func queryList[T any](ctx context.Context, q queryer, what, query string, scan func(scanner) (*T, error), args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("store: %s: %w", what, err)
		}
		out = append(out, *v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return out, nil
}
