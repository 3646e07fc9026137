package staff

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// CannedReply is one reply template staff can put in the reply box: data
// the clinic edits (faq/replies.yaml), not code.
type CannedReply struct {
	Title string `yaml:"title"`
	Text  string `yaml:"text"`
}

// repliesFile holds the canned replies, read from a YAML file:
//
//	replies:
//	  - title: Call to book
//	    text: Hi, this is the front desk at ... Please call us at ...
//
// The file is read again when it changes (checked at most every few
// seconds), so edits show without a restart. A missing file means no
// canned replies; a broken one keeps the last good list and is logged.
type repliesFile struct {
	path string
	log  *slog.Logger
	now  func() time.Time

	mu      sync.Mutex
	checked time.Time
	mtime   time.Time
	size    int64
	items   []CannedReply
}

// LoadReplies reads and checks a canned-replies file (`faqbot lint` and
// tests use it): every entry needs a title and a text of at most
// maxReplyChars characters.
func LoadReplies(path string) ([]CannedReply, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseReplies(b)
}

func parseReplies(b []byte) ([]CannedReply, error) {
	var doc struct {
		Replies []CannedReply `yaml:"replies"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) { // empty file: no replies
		return nil, fmt.Errorf("canned replies: %w", err)
	}
	out := make([]CannedReply, 0, len(doc.Replies))
	for i, r := range doc.Replies {
		r.Title, r.Text = strings.TrimSpace(r.Title), strings.TrimSpace(r.Text)
		switch {
		case r.Title == "" || r.Text == "":
			return nil, fmt.Errorf("canned replies: entry %d needs a title and a text", i+1)
		case utf8.RuneCountInString(r.Text) > maxReplyChars:
			return nil, fmt.Errorf("canned replies: %q is longer than a text message may be (%d characters)", r.Title, maxReplyChars)
		}
		out = append(out, r)
	}
	return out, nil
}

// list returns the current canned replies.
func (f *repliesFile) list() []CannedReply {
	if f == nil || f.path == "" {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	if !f.checked.IsZero() && now.Sub(f.checked) < 3*time.Second && now.After(f.checked) {
		return f.items
	}
	f.checked = now
	st, err := os.Stat(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		f.items, f.mtime, f.size = nil, time.Time{}, 0
		return nil
	}
	if err != nil {
		f.log.Error("staff: canned replies", "err", err)
		return f.items
	}
	if st.ModTime().Equal(f.mtime) && st.Size() == f.size {
		return f.items
	}
	items, err := LoadReplies(f.path)
	if err != nil {
		f.log.Error("staff: canned replies not reloaded", "file", f.path, "err", err)
		return f.items
	}
	f.items, f.mtime, f.size = items, st.ModTime(), st.Size()
	return f.items
}
