package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"testing"
	"time"
)

// One failing write in a group commit costs only itself: the batch is rolled
// back, the others run again on their own and are committed, and only the
// failing caller hears of its error.
func TestGroupCommitFailureCostsOnlyItself(t *testing.T) {
	s, _ := open(t)
	ctx := context.Background()
	boom := errors.New("boom")
	insert := func(addr string, fail bool) func(tx *sql.Tx) error {
		return func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO conversations (channel, address, created_at, updated_at)
				VALUES ('sms', ?, 1, 1)`, addr); err != nil {
				return err
			}
			if fail {
				return boom
			}
			return nil
		}
	}
	addrs := []string{"+15550000001", "+15550000002", "+15550000003"}
	var batch []*groupReq
	for i, a := range addrs {
		batch = append(batch, &groupReq{ctx: ctx, fn: insert(a, i == 1), err: make(chan error, 1)})
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	batch = append(batch, &groupReq{ctx: cancelled, fn: insert("+15550000004", false), err: make(chan error, 1)})
	s.runBatch(batch)

	for i, r := range batch {
		err := <-r.err
		switch i {
		case 1:
			if !errors.Is(err, boom) {
				t.Errorf("failing write: got %v, want boom", err)
			}
		case 3:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("cancelled while queued: got %v, want context.Canceled", err)
			}
		default:
			if err != nil {
				t.Errorf("write %d: %v", i, err)
			}
		}
	}
	for i, a := range append(addrs, "+15550000004") {
		_, err := s.Conversation(ctx, ChannelSMS, a)
		if want := i == 0 || i == 2; (err == nil) != want {
			t.Errorf("conversation %s stored = %v, want %v (%v)", a, err == nil, want, err)
		}
	}
}

// The checkpointer copies the log beside the writer, and the log stays
// about the writer's threshold however many exchanges are written.
func TestCheckpointerKeepsWALShort(t *testing.T) {
	s, path := open(t)
	ctx := context.Background()
	for i := range 400 {
		if _, err := s.RecordExchange(ctx, Exchange{Channel: ChannelSMS, Address: "+15550001234",
			Body: "how long does it last", Reply: "About three months.", At: t0}); err != nil {
			t.Fatal(i, err)
		}
	}
	for deadline := time.Now().Add(10 * time.Second); s.ckpt.runs.Load() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the checkpointer never ran")
		}
		time.Sleep(time.Millisecond)
	}
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	// 400 exchanges one at a time write about 3,000 pages; the log holds
	// about the writer's threshold (a few transactions more while the
	// checkpointer's run keeps the writer's own checkpoint waiting).
	if max := int64(writerCheckpointPages*3/2) * (4096 + 24); fi.Size() > max {
		t.Errorf("WAL is %d bytes after 400 exchanges (want at most %d)", fi.Size(), max)
	}
}
