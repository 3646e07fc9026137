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
	per    map[string]int // open streams per client address
	done   chan struct{}
	closed bool
}

// Bounds on open streams: per client address (a household's tabs) and in
// all, so idle connections cannot pile up.
const (
	maxStreamsPerAddr = 10
	maxStreams        = 5000
)

func newHub() *hub {
	return &hub{subs: map[chan struct{}]struct{}{}, per: map[string]int{}, done: make(chan struct{})}
}

// subscribe registers a stream from a client address; ok is false when the
// address or the server has too many open already.
func (h *hub) subscribe(addr string) (ch chan struct{}, unsubscribe func(), ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.per[addr] >= maxStreamsPerAddr || len(h.subs) >= maxStreams {
		return nil, nil, false
	}
	ch = make(chan struct{}, 1)
	h.subs[ch] = struct{}{}
	h.per[addr]++
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.subs, ch)
		if h.per[addr]--; h.per[addr] <= 0 {
			delete(h.per, addr)
		}
	}, true
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
	ch, unsubscribe, ok := c.hub.subscribe(c.clientAddr(r))
	if !ok {
		c.reject("too_many_streams")
		w.Header().Set("Retry-After", "30")
		writeError(w, http.StatusTooManyRequests, "too many open chat streams from this address")
		return
	}
	defer unsubscribe()
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

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
