package ratelimit

import (
	"container/list"
	"sync"
	"time"
)

// Backoff counts failures per key (a sign-in's address and account) and
// makes a key wait longer after each failure beyond a free allowance: after
// Free failures the next try must wait Base, then 2×Base, 4×Base… up to
// Max. Only failures count, so successes never spend an allowance; Reset
// forgets a key (after a success). A key idle for Forget starts afresh.
// It keeps at most maxKeys keys (least recently failed dropped first) and
// is safe for concurrent use.
type Backoff struct {
	free      int
	base, max time.Duration
	forget    time.Duration
	maxKeys   int
	now       func() time.Time

	mu   sync.Mutex
	keys map[string]*list.Element // of *failures
	lru  *list.List               // front: most recent failure
}

type failures struct {
	key   string
	n     int
	last  time.Time // the latest failure
	until time.Time // no try before this
}

// NewBackoff returns a Backoff: free failures without delay, then delays
// from base doubling to max; a key is forgotten after forget without a
// failure (at least max); at most maxKeys keys (DefaultMaxKeys if <= 0).
func NewBackoff(free int, base, max, forget time.Duration, maxKeys int) *Backoff {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	if forget < max {
		forget = max
	}
	return &Backoff{free: max0(free), base: base, max: max, forget: forget, maxKeys: maxKeys,
		now: time.Now, keys: map[string]*list.Element{}, lru: list.New()}
}

func max0(n int) int {
	if n < 0 {
		return 0
	}
	return n
}

// WithClock makes the Backoff read time from now and returns it.
func (b *Backoff) WithClock(now func() time.Time) *Backoff {
	b.now = now
	return b
}

// Wait is how long key must wait before its next try (0: it may try now).
// Asking does not count as a try.
func (b *Backoff) Wait(key string) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	el, ok := b.keys[key]
	if !ok {
		return 0
	}
	f := el.Value.(*failures)
	if now.Sub(f.last) >= b.forget {
		b.drop(el)
		return 0
	}
	if d := f.until.Sub(now); d > 0 {
		return d
	}
	return 0
}

// Fail records a failure for key and returns how long it must now wait.
func (b *Backoff) Fail(key string) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	var f *failures
	if el, ok := b.keys[key]; ok {
		f = el.Value.(*failures)
		if now.Sub(f.last) >= b.forget {
			f.n = 0
		}
		b.lru.MoveToFront(el)
	} else {
		for len(b.keys) >= b.maxKeys {
			b.drop(b.lru.Back())
		}
		f = &failures{key: key}
		b.keys[key] = b.lru.PushFront(f)
	}
	f.n++
	f.last = now
	d := time.Duration(0)
	if over := f.n - b.free; over > 0 {
		d = b.base
		for i := 1; i < over && d < b.max; i++ {
			d *= 2
		}
		d = min(d, b.max)
	}
	f.until = now.Add(d)
	return d
}

// Reset forgets key.
func (b *Backoff) Reset(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if el, ok := b.keys[key]; ok {
		b.drop(el)
	}
}

// Len is the number of keys tracked.
func (b *Backoff) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.keys)
}

func (b *Backoff) drop(el *list.Element) {
	f := el.Value.(*failures)
	b.lru.Remove(el)
	delete(b.keys, f.key)
}
