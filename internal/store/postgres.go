package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// IsPostgresURL reports whether url names a PostgreSQL database
// (postgres:// or postgresql://).
func IsPostgresURL(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

// Open opens the store a faqbot process uses: PostgreSQL when databaseURL
// is set (FAQBOT_DATABASE_URL, postgres://…), otherwise SQLite in dataDir.
func Open(ctx context.Context, databaseURL, dataDir string) (*SQL, error) {
	if databaseURL == "" {
		return OpenDataDir(ctx, dataDir)
	}
	return OpenPostgres(ctx, databaseURL)
}

// postgresPool bounds a replica's connections. Writers run in parallel on
// PostgreSQL (row locks, not a file lock, keep them apart).
const postgresPool = 16

// OpenPostgres opens the store on a PostgreSQL database (a postgres:// URL,
// which may carry runtime parameters such as search_path), applies pending
// migrations (serialised across replicas by an advisory lock) and starts
// listening for other replicas' changes.
func OpenPostgres(ctx context.Context, url string) (*SQL, error) {
	if !IsPostgresURL(url) {
		return nil, errors.New("store: database URL must start with postgres:// or postgresql://")
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: database URL: %w", err)
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("store: open PostgreSQL: %w", err)
	}
	db.SetMaxOpenConns(postgresPool)
	db.SetMaxIdleConns(postgresPool)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &SQL{w: db, r: db, d: postgresDialect{}, now: time.Now, changes: newChangeHub(), url: url,
		wc: newStmtCache(db, false), rc: newStmtCache(db, false)}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to PostgreSQL at %s:%d: %w", cfg.Host, cfg.Port, err)
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	lctx, cancel := context.WithCancel(context.Background())
	s.notifyReq = make(chan struct{}, 1)
	var wg sync.WaitGroup
	wg.Go(func() { s.listen(lctx, cfg) })
	wg.Go(func() { s.notifier(lctx) })
	s.stopListen = func() { cancel(); wg.Wait() }
	return s, nil
}

// listen relays NOTIFY faqbot_changes (sent by every replica after its
// writes, see announce) to SubscribeChanges, reconnecting after a lost connection.
func (s *SQL) listen(ctx context.Context, cfg *pgx.ConnConfig) {
	for ctx.Err() == nil {
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err == nil {
			_, err = conn.Exec(ctx, "LISTEN "+changeChannel)
		}
		if err == nil {
			// Changes may have been missed while not listening.
			s.changes.notify()
			for {
				if _, err = conn.WaitForNotification(ctx); err != nil {
					break
				}
				s.changes.notify()
			}
		}
		if conn != nil {
			closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
			conn.Close(closeCtx)
			cancel()
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}
