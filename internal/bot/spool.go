package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Spool keeps inbound messages that could not be stored (the database was
// down) as files, one per message, and replays them through the service
// until they are stored, so no escalation is lost. Replay is safe to repeat:
// the message id makes RecordExchange idempotent.
type Spool struct {
	Dir string
}

// Put writes in to the spool atomically (temp file, then rename).
func (sp *Spool) Put(in Inbound) error {
	if err := os.MkdirAll(sp.Dir, 0o700); err != nil {
		return err
	}
	if in.At.IsZero() {
		in.At = time.Now()
	}
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	key := in.ExternalID
	if key == "" {
		sum := sha256.Sum256(b)
		key = hex.EncodeToString(sum[:8])
	}
	name := fmt.Sprintf("%d-%s.json", in.At.UnixNano(), safeName(key))
	tmp, err := os.CreateTemp(sp.Dir, ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(sp.Dir, name))
}

// Len is the number of messages waiting.
func (sp *Spool) Len() int {
	names, _ := sp.names()
	return len(names)
}

func (sp *Spool) names() ([]string, error) {
	ents, err := os.ReadDir(sp.Dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// Replay hands every spooled message, oldest first, to handle; a message is
// removed once handle succeeds. It stops at the first failure (the store is
// still down) and returns how many were replayed.
func (sp *Spool) Replay(ctx context.Context, handle func(context.Context, Inbound) error) (int, error) {
	names, err := sp.names()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, name := range names {
		p := filepath.Join(sp.Dir, name)
		b, err := os.ReadFile(p)
		if err != nil {
			return n, err
		}
		var in Inbound
		if err := json.Unmarshal(b, &in); err != nil {
			// Unreadable: keep it aside for a person, do not block the rest.
			_ = os.Rename(p, p+".bad")
			continue
		}
		if err := handle(ctx, in); err != nil {
			return n, err
		}
		if err := os.Remove(p); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func safeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			b.WriteRune(r)
		}
	}
	if b.Len() > 64 {
		return b.String()[:64]
	}
	return b.String()
}
