package chat

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// hub fans change notices out to open event streams. A notice carries no
// data: each stream re-reads its own session. A slow stream loses only
// duplicate notices (a channel of one).
type hub struct {
	mu     sync.Mutex
	subs   map[chan struct{}]struct{}
	done   chan struct{}
	closed bool
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
	for ch := range h.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.closed = true
		close(h.done)
	}
}

// Stream timing: a comment every streamPing keeps proxies from closing the
// connection; after streamLife the server ends the stream and the browser
// reconnects (with Last-Event-ID, so nothing is sent twice).
var (
	streamPing = 25 * time.Second
	streamLife = 10 * time.Minute
)

// events is GET /chat/v1/events?session=…[&after=ID], a server-sent event
// stream of the staff replies in a session: one "message" event (data: a
// chatMessage, id: its id) for each reply after the given id or the
// browser's Last-Event-ID, as soon as staff send it.
func (c *Chat) events(w http.ResponseWriter, r *http.Request) {
	session, after, ok := c.readQuery(w, r)
	if !ok {
		return
	}
	if id, err := strconv.ParseInt(r.Header.Get("Last-Event-ID"), 10, 64); err == nil && id > after {
		after = id
	}
	addr := address(session)
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
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
		_, msgs, err := c.messages(r.Context(), addr, after, true)
		if err != nil {
			c.o.Log.Warn("chat: event stream", "err", err)
			return true // the next notice or ping tries again
		}
		for _, m := range msgs {
			b, _ := json.Marshal(m)
			if !write(fmt.Sprintf("id: %d\nevent: message\ndata: %s\n\n", m.ID, b)) {
				return false
			}
			after = m.ID
		}
		return true
	}
	if !write("retry: 3000\n\n") || !send() {
		return
	}
	ping := time.NewTicker(streamPing)
	defer ping.Stop()
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
		case <-ping.C:
			// Also a safety net for a missed notice.
			if !send() || !write(": ping\n\n") {
				return
			}
		}
	}
}
