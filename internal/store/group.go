package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync"
)

// groupCommit batches write transactions on SQLite (group commit): while
// the one writer connection is busy, the transactions that queue up behind
// it run together in the next transaction and are committed once. Every
// caller still returns only after its writes are committed: a webhook is
// answered only once its message is durable. Beginning, committing and
// writing the WAL frames of shared pages are paid once per batch instead of
// once per message. A batch runs without a savepoint each; if one of its
// writes fails, the batch is rolled back and each runs again alone.
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
}

// groupYields is how many times the batcher lets other goroutines run
// before it closes a batch, when the last batch was shared (the server is
// busy): the webhooks a moment from their write join this commit instead
// of paying for one of their own (PostgreSQL's commit_delay, without a
// timer). Idle, a lone message is written at once.
const groupYields = 2

// groupMax bounds a batch, so one commit never holds many callers' latency.
const groupMax = 64

func (s *SQL) startGroupCommit() {
	g := &groupCommit{reqs: make(chan *groupReq), done: make(chan struct{})}
	s.group = g
	go func() {
		defer close(g.done)
		last := 0
		for first := range g.reqs {
			batch := []*groupReq{first}
			yields := 0
			if last > 1 {
				yields = groupYields
			}
		fill:
			for len(batch) < groupMax {
				select {
				case r, ok := <-g.reqs:
					if !ok {
						break fill
					}
					batch = append(batch, r)
				default:
					if yields == 0 {
						break fill
					}
					yields--
					runtime.Gosched()
				}
			}
			last = len(batch)
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
	s.wc.flush(ctx)
	live := batch[:0:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err <- err // gave up while queued: nothing written
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	// Optimistically, the whole batch in one transaction without a
	// savepoint each (savepoints copy every page they touch to a
	// sub-journal): almost every exchange succeeds. If one fails, the
	// transaction is rolled back and each caller's writes run again in a
	// transaction of their own, so one failure (a Twilio retry's duplicate
	// SID, a missing outbox row) costs only itself. Every fn is written to
	// be run again: it resets what it reports at its start.
	if len(live) > 1 {
		err := s.runTogether(ctx, live)
		if err == nil {
			s.ckpt.committed()
			s.announce()
			for _, r := range live {
				r.err <- nil
			}
			return
		}
		if !errors.Is(err, errBatchMember) {
			for _, r := range live {
				r.err <- err
			}
			return
		}
	}
	for _, r := range live {
		r.err <- s.write(ctx, r.fn)
	}
}

// errBatchMember says one of a batch's fns failed (runTogether rolled the
// batch back; each runs again on its own).
var errBatchMember = errors.New("store: a batched write failed")

// runTogether runs every fn in one transaction and commits it; any fn's
// error rolls the whole transaction back and returns errBatchMember.
func (s *SQL) runTogether(ctx context.Context, batch []*groupReq) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	for _, r := range batch {
		// Not cancelled mid-statement: an interrupted write would roll back
		// the whole batch.
		if err := r.fn(tx); err != nil {
			tx.Rollback()
			return errBatchMember
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}
