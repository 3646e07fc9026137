package store

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"time"
)

// SQLite keeps committed pages in the write-ahead log until a checkpoint
// copies them into the database file (syncing both files). Left to SQLite,
// the connection that commits runs it whenever the log passes
// wal_autocheckpoint pages, copying them all while every webhook queues
// behind the one writer. Here a checkpointer with a connection of its own
// runs PASSIVE checkpoints (they never block the writer or the readers)
// soon after commits, so the copying happens beside the writer. The
// writer's own automatic checkpoint stays: only it can restart the log
// (SQLite rewinds the log when a write begins with every frame copied, which
// a checkpoint running beside the writer never sees), and by the time it
// runs the checkpointer has copied all but the last few frames.
const (
	// checkpointGap is the least time between two background checkpoints:
	// short enough that under full load the log rarely reaches the writer's
	// threshold with much left to copy.
	checkpointGap = 10 * time.Millisecond
	// writerCheckpointPages is the writer's own wal_autocheckpoint (SQLite's
	// default; 4 KiB pages: a log of about 4 MB).
	writerCheckpointPages = 1000
)

type checkpointer struct {
	db   *sql.DB
	kick chan struct{}
	stop chan struct{}
	done chan struct{}
	once sync.Once
	runs atomic.Int64 // checkpoints run (for tests)
}

// startCheckpointer opens the checkpointer's connection on base (the
// writer's DSN without its transaction mode) and starts its loop.
func (s *SQL) startCheckpointer(base string) error {
	db, err := sql.Open("sqlite", base)
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	c := &checkpointer{db: db, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	s.ckpt = c
	go c.loop()
	return nil
}

// committed asks for a checkpoint soon (SQLite; nil-safe).
func (c *checkpointer) committed() {
	if c == nil {
		return
	}
	select {
	case c.kick <- struct{}{}:
	default: // one is pending: it covers this commit too
	}
}

func (c *checkpointer) loop() {
	defer close(c.done)
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
		}
		// A failed checkpoint (a reader holding an old snapshot, a busy
		// file) is retried after the next commit; the writer's backstop
		// covers a long run of them.
		c.db.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
		c.runs.Add(1)
		select {
		case <-c.stop:
			return
		case <-time.After(checkpointGap):
		}
	}
}

// close stops the loop and closes the connection (nil-safe; once).
func (c *checkpointer) close() {
	if c == nil {
		return
	}
	c.once.Do(func() {
		close(c.stop)
		<-c.done
		c.db.Close()
	})
}
