package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// groupCommit batches write transactions on SQLite (group commit): while
// the one writer connection is busy, the transactions that queue up behind
// it run together in the next transaction, each inside its own savepoint
// (so one failing rolls back only itself), and are committed once. Every
// caller still returns only after its writes are committed: a webhook is
// answered only once its message is durable. Beginning, committing and
// writing the WAL frames of shared pages are paid once per batch instead of
// once per message.
type groupCommit struct {
	reqs chan *groupReq
	done chan struct{}

	mu     sync.RWMutex // held for reading while sending to reqs
	closed bool
}

type groupReq struct {
	ctx context.Context
	fn  func(tx *sql.Tx) error
	err chan error // buffered: the batcher never blocks on a caller that left
	ok  bool
}

// groupMax bounds a batch, so one commit never holds many callers' latency.
const groupMax = 64

func (s *SQL) startGroupCommit() {
	g := &groupCommit{reqs: make(chan *groupReq), done: make(chan struct{})}
	s.group = g
	go func() {
		defer close(g.done)
		for first := range g.reqs {
			batch := []*groupReq{first}
		fill:
			for len(batch) < groupMax {
				select {
				case r, ok := <-g.reqs:
					if !ok {
						break fill
					}
					batch = append(batch, r)
				default:
					break fill
				}
			}
			s.runBatch(batch)
		}
	}()
}

func (s *SQL) stopGroupCommit() {
	g := s.group
	if g == nil {
		return
	}
	g.mu.Lock()
	if !g.closed {
		g.closed = true
		close(g.reqs)
	}
	g.mu.Unlock()
	<-g.done
}

// writeGrouped is write, batched with other callers' on SQLite (inbound
// exchanges and the outbox worker's claims and results). fn must not use a
// cancellable context for its statements: on SQLite an interrupted write
// rolls back the whole batch (callers shadow ctx with WithoutCancel).
func (s *SQL) writeGrouped(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if s.group == nil {
		return s.write(ctx, fn)
	}
	g := s.group
	r := &groupReq{ctx: ctx, fn: fn, err: make(chan error, 1)}
	g.mu.RLock()
	if g.closed {
		g.mu.RUnlock()
		return errors.New("store: closed")
	}
	select {
	case g.reqs <- r:
	case <-ctx.Done():
		g.mu.RUnlock()
		return ctx.Err()
	}
	g.mu.RUnlock()
	return <-r.err // the batch finishes promptly; its outcome is ours
}

func (s *SQL) runBatch(batch []*groupReq) {
	ctx := context.Background()
	fail := func(err error) {
		for _, r := range batch {
			r.err <- err
		}
	}
	s.wc.flush(ctx)
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		fail(fmt.Errorf("store: begin: %w", err))
		return
	}
	errs := make([]error, len(batch))
	live := 0
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT grp"); err != nil {
			tx.Rollback()
			fail(fmt.Errorf("store: savepoint: %w", err))
			return
		}
		// Not cancelled mid-statement: an interrupted write would roll back
		// the whole batch.
		if err := r.fn(tx); err != nil {
			errs[i] = err
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO grp"); err != nil {
				tx.Rollback()
				fail(fmt.Errorf("store: rollback to savepoint: %w", err))
				return
			}
		} else {
			r.ok = true
			live++
		}
		if _, err := tx.ExecContext(ctx, "RELEASE grp"); err != nil {
			tx.Rollback()
			fail(fmt.Errorf("store: release savepoint: %w", err))
			return
		}
	}
	if live == 0 {
		tx.Rollback()
	} else if err := tx.Commit(); err != nil {
		err = fmt.Errorf("store: commit: %w", err)
		for i, r := range batch {
			if r.ok {
				errs[i] = err
			}
		}
	} else {
		s.announce()
	}
	for i, r := range batch {
		r.err <- errs[i]
	}
}
