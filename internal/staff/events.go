package staff

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// hub fans change notices out to open event streams. A notice carries no
// data: each stream re-reads the counts, and the page re-reads what it
// shows. Slow streams lose nothing but duplicates (a channel of one).
type hub struct {
	mu      sync.Mutex
	subs    map[chan struct{}]struct{}
	version uint64
	done    chan struct{}
	closed  bool
}

func newHub() *hub { return &hub{subs: map[chan struct{}]struct{}{}, done: make(chan struct{})} }

func (h *hub) subscribe() (chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs, ch)
		h.mu.Unlock()
	}
}

func (h *hub) notify() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.version++
	for ch := range h.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (h *hub) currentVersion() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.version
}

func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.closed = true
		close(h.done)
	}
}

// countsJSON is what /staff/counts returns and the event stream sends.
type countsJSON struct {
	Open int `json:"open"` // waiting for someone (open, unclaimed)
	// Urgent counts urgent escalations not yet resolved, claimed or not.
	Urgent int `json:"urgent"`
	Mine   int `json:"mine"` // claimed by the signed-in staff member
	// LatestUrgent is the newest urgent escalation's id: when it grows, a
	// new emergency arrived (the page may sound and notify).
	LatestUrgent int64  `json:"latest_urgent"`
	Version      uint64 `json:"version"`
}

func (c *Console) readCounts(r *http.Request, se *sess) (countsJSON, error) {
	v := c.hub.currentVersion()
	n, err := c.o.Store.QueueCounts(r.Context(), se.user.ID)
	return countsJSON{Open: n.Waiting, Urgent: n.Urgent, Mine: n.Mine, LatestUrgent: n.LatestUrgent, Version: v}, err
}

func (c *Console) counts(w http.ResponseWriter, r *http.Request, se *sess) {
	n, err := c.readCounts(r, se)
	if err != nil {
		c.log.Error("staff: counts", "err", err)
		writeJSON(w, http.StatusInternalServerError, errorJSON{Error: "could not read the queue"})
		return
	}
	writeJSON(w, http.StatusOK, n)
}

// Stream timing: the session is re-checked every streamCheck (a disabled
// account or a sign-out elsewhere ends the stream within seconds); a
// comment every streamPing keeps proxies from closing the connection;
// after streamLife the server ends the stream and the browser reconnects
// (so a long-lived stream never outlives a deploy by much).
var (
	streamCheck = 5 * time.Second
	streamPing  = 25 * time.Second
	streamLife  = 10 * time.Minute
)

// events is the server-sent event stream of an inbox or escalation page:
// "counts" events with countsJSON whenever something changed.
func (c *Console) events(w http.ResponseWriter, r *http.Request, se *sess) {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	ch, unsubscribe := c.hub.subscribe()
	defer unsubscribe()

	write := func(s string) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(10 * time.Second)) // not every writer supports it
		if _, err := fmt.Fprint(w, s); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	send := func() bool {
		n, err := c.readCounts(r, se)
		if err != nil {
			c.log.Error("staff: counts", "err", err)
			return true
		}
		b, _ := json.Marshal(n)
		return write("event: counts\ndata: " + string(b) + "\n\n")
	}
	if !write("retry: 3000\n\n") || !send() {
		return
	}
	ping := time.NewTicker(streamPing)
	defer ping.Stop()
	check := time.NewTicker(streamCheck)
	defer check.Stop()
	life := time.NewTimer(streamLife)
	defer life.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-c.hub.done:
			return
		case <-life.C:
			return
		case <-ch:
			if !send() {
				return
			}
		case <-check.C:
			if c.session(r, false) == nil {
				write("event: signedout\ndata: {}\n\n")
				return
			}
		case <-ping.C:
			if !write(": ping\n\n") {
				return
			}
		}
	}
}
