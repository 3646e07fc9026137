package store

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps SQLite's prepared statements for reuse: preparing
// (parsing and planning) was a quarter of a webhook's CPU. Statements are
// keyed by their (rebound) text. A statement first seen inside a write
// transaction cannot be prepared there (the writer pool has one connection
// and the transaction holds it), so it runs unprepared once and is prepared
// before the next transaction begins. PostgreSQL needs none of this: pgx
// caches prepared statements per connection.
type stmtCache struct {
	on bool
	db *sql.DB

	mu      sync.RWMutex
	m       map[string]*sql.Stmt
	pending map[string]bool
}

// stmtCacheMax bounds the cache: queries built with a variable number of
// placeholders (IN lists) would otherwise grow it without end.
const stmtCacheMax = 256

func newStmtCache(db *sql.DB, on bool) *stmtCache {
	return &stmtCache{on: on, db: db, m: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

func (c *stmtCache) get(query string) *sql.Stmt {
	if c == nil || !c.on {
		return nil
	}
	c.mu.RLock()
	st := c.m[query]
	c.mu.RUnlock()
	return st
}

// miss records a statement to prepare at the next flush.
func (c *stmtCache) miss(query string) {
	if c == nil || !c.on {
		return
	}
	c.mu.Lock()
	if len(c.m)+len(c.pending) < stmtCacheMax {
		c.pending[query] = true
	}
	c.mu.Unlock()
}

// flush prepares the statements recorded by miss. Call it where no
// transaction holds the pool's connection. The lock is not held while
// preparing: a transaction holding the connection may need the cache.
func (c *stmtCache) flush(ctx context.Context) {
	if c == nil || !c.on {
		return
	}
	c.mu.Lock()
	if len(c.pending) == 0 {
		c.mu.Unlock()
		return
	}
	var todo []string
	for q := range c.pending {
		delete(c.pending, q)
		if _, ok := c.m[q]; !ok {
			todo = append(todo, q)
		}
	}
	c.mu.Unlock()
	for _, q := range todo {
		st, err := c.db.PrepareContext(ctx, q)
		if err != nil {
			continue // runs unprepared, and reports its error there
		}
		c.mu.Lock()
		if _, ok := c.m[q]; ok {
			st.Close()
		} else {
			c.m[q] = st
		}
		c.mu.Unlock()
	}
}

// prepareNow prepares query on the pool (for read pools, where no
// transaction holds a connection).
func (c *stmtCache) prepareNow(ctx context.Context, query string) *sql.Stmt {
	if c == nil || !c.on {
		return nil
	}
	if st := c.get(query); st != nil {
		return st
	}
	c.mu.RLock()
	full := len(c.m) >= stmtCacheMax
	c.mu.RUnlock()
	if full {
		return nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[query]; old != nil {
		st.Close()
		return old
	}
	c.m[query] = st
	return st
}

func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		st.Close()
		delete(c.m, q)
	}
}

// txQ runs a write transaction's statements through the writer's cache.
type txQ struct {
	tx *sql.Tx
	c  *stmtCache
}

func (q txQ) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := q.c.get(query); st != nil {
		return q.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	q.c.miss(query)
	return q.tx.ExecContext(ctx, query, args...)
}

func (q txQ) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := q.c.get(query); st != nil {
		return q.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	q.c.miss(query)
	return q.tx.QueryContext(ctx, query, args...)
}

func (q txQ) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := q.c.get(query); st != nil {
		return q.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	q.c.miss(query)
	return q.tx.QueryRowContext(ctx, query, args...)
}

// dbQ runs reads through the read pool's cache.
type dbQ struct {
	db *sql.DB
	c  *stmtCache
}

func (q dbQ) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := q.c.prepareNow(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return q.db.ExecContext(ctx, query, args...)
}

func (q dbQ) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := q.c.prepareNow(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return q.db.QueryContext(ctx, query, args...)
}

func (q dbQ) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := q.c.prepareNow(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return q.db.QueryRowContext(ctx, query, args...)
}

// wq is tx with the writer's statement cache.
func (s *SQL) wq(tx *sql.Tx) queryer { return txQ{tx: tx, c: s.wc} }

// rq is the read pool with its statement cache.
func (s *SQL) rq() queryer { return dbQ{db: s.r, c: s.rc} }
