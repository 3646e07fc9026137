// Package ratelimit is per-key rate limiting (per sender number, per
// sign-in account or address) with bounded memory.
package ratelimit

import (
	"container/list"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DefaultMaxKeys is used when New is given maxKeys <= 0.
const DefaultMaxKeys = 10000

// Limiter holds a token bucket (golang.org/x/time/rate) per key. It keeps at
// most maxKeys buckets: keys idle long enough to have refilled completely are
// dropped first (a fresh bucket is identical), then the least recently used
// ones, whose next request then starts from a full bucket. It is safe for
// concurrent use.
type Limiter struct {
	r     rate.Limit
	burst int
	max   int
	idle  time.Duration // time to refill a bucket from empty; after it a key is forgettable
	now   func() time.Time

	mu   sync.Mutex
	keys map[string]*list.Element // of *entry
	lru  *list.List               // front: most recently used
}

type entry struct {
	key  string
	lim  *rate.Limiter
	last time.Time
}

// New returns a Limiter allowing r events per second per key with bursts of
// burst (at least 1), tracking at most maxKeys keys (DefaultMaxKeys if <= 0).
// For "5 per minute" use rate.Every(12*time.Second) with burst 5.
func New(r rate.Limit, burst int, maxKeys int) *Limiter {
	if burst < 1 {
		burst = 1
	}
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	idle := time.Duration(math.MaxInt64)
	if r == rate.Inf {
		idle = 0
	} else if r > 0 {
		secs := float64(burst) / float64(r)
		if secs < float64(math.MaxInt64/int64(time.Second)) {
			idle = time.Duration(secs * float64(time.Second))
		}
	}
	return &Limiter{r: r, burst: burst, max: maxKeys, idle: idle, now: time.Now,
		keys: make(map[string]*list.Element), lru: list.New()}
}

// WithClock makes the limiter read time from now (tests that move time use
// it) and returns it.
func (l *Limiter) WithClock(now func() time.Time) *Limiter {
	l.now = now
	return l
}

// Allow reports whether an event for key may happen now, and counts it.
func (l *Limiter) Allow(key string) bool {
	if l.r == rate.Inf {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if el, ok := l.keys[key]; ok {
		e := el.Value.(*entry)
		e.last = now
		l.lru.MoveToFront(el)
		return e.lim.AllowN(now, 1)
	}
	l.evict(now)
	e := &entry{key: key, lim: rate.NewLimiter(l.r, l.burst), last: now}
	l.keys[key] = l.lru.PushFront(e)
	return e.lim.AllowN(now, 1)
}

// evict makes room for one new key: it drops keys idle for a full refill
// from the old end, then the least recently used keys while full. Called
// with mu held.
func (l *Limiter) evict(now time.Time) {
	for el := l.lru.Back(); el != nil; el = l.lru.Back() {
		e := el.Value.(*entry)
		if len(l.keys) < l.max && now.Sub(e.last) < l.idle {
			return
		}
		l.lru.Remove(el)
		delete(l.keys, e.key)
	}
}

// Reset forgets key, e.g. after a successful sign-in.
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if el, ok := l.keys[key]; ok {
		l.lru.Remove(el)
		delete(l.keys, key)
	}
}

// Cleanup drops every key idle for a full refill (Allow already does this
// lazily as keys are added; call it from a ticker to free memory sooner).
// It returns the number of keys dropped.
func (l *Limiter) Cleanup() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	n := 0
	for el := l.lru.Back(); el != nil; {
		e := el.Value.(*entry)
		if now.Sub(e.last) < l.idle {
			break // the rest are more recent
		}
		prev := el.Prev()
		l.lru.Remove(el)
		delete(l.keys, e.key)
		n++
		el = prev
	}
	return n
}

// Len is the number of keys tracked.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}
