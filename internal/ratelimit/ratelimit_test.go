package ratelimit

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// fakeClock drives a Limiter deterministically.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTest(r rate.Limit, burst, max int) (*Limiter, *fakeClock) {
	c := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := New(r, burst, max)
	l.now = c.now
	return l, c
}

func TestBurstThenRefill(t *testing.T) {
	l, c := newTest(rate.Every(10*time.Second), 3, 100) // 3 at once, then 1 per 10 s
	for i := 0; i < 3; i++ {
		if !l.Allow("+15551234567") {
			t.Fatalf("event %d of the burst refused", i)
		}
	}
	if l.Allow("+15551234567") {
		t.Fatal("4th event allowed")
	}
	if !l.Allow("+15557654321") {
		t.Fatal("another key is limited too")
	}
	c.add(9 * time.Second)
	if l.Allow("+15551234567") {
		t.Fatal("allowed before refill")
	}
	c.add(time.Second)
	if !l.Allow("+15551234567") || l.Allow("+15551234567") {
		t.Fatal("one token after 10 s")
	}
}

func TestEvictsLeastRecentlyUsedWhenFull(t *testing.T) {
	l, c := newTest(rate.Every(time.Minute), 1, 3)
	for _, k := range []string{"a", "b", "c"} {
		l.Allow(k)
		c.add(time.Second)
	}
	l.Allow("a") // refused, but a is now the most recent
	l.Allow("d") // full: evicts b, the least recently used
	if l.Len() != 3 {
		t.Fatalf("Len = %d, want 3", l.Len())
	}
	if l.Allow("a") || l.Allow("c") || l.Allow("d") {
		t.Fatal("kept keys lost their state")
	}
	if !l.Allow("b") {
		t.Fatal("evicted key b should start from a full bucket")
	}
	if l.Len() != 3 {
		t.Fatalf("Len = %d after re-adding b", l.Len())
	}
}

func TestDropsIdleKeys(t *testing.T) {
	l, c := newTest(rate.Every(10*time.Second), 2, 100) // refills from empty in 20 s
	for i := 0; i < 50; i++ {
		l.Allow(fmt.Sprint("k", i))
	}
	c.add(19 * time.Second)
	if n := l.Cleanup(); n != 0 || l.Len() != 50 {
		t.Fatalf("dropped %d keys before a full refill", n)
	}
	l.Allow("k0") // k0 stays in use
	c.add(2 * time.Second)
	if n := l.Cleanup(); n != 49 || l.Len() != 1 {
		t.Fatalf("Cleanup dropped %d, Len %d", n, l.Len())
	}
	// Lazy: adding a key also drops idle ones.
	for i := 0; i < 10; i++ {
		l.Allow(fmt.Sprint("m", i))
	}
	c.add(time.Minute)
	l.Allow("new")
	if l.Len() != 1 {
		t.Fatalf("Len = %d, idle keys not dropped on insert", l.Len())
	}
}

func TestMemoryBoundedUnderKeyFlood(t *testing.T) {
	l, _ := newTest(rate.Every(time.Hour), 5, 1000)
	for i := 0; i < 100000; i++ {
		l.Allow(fmt.Sprint("+1555", i))
	}
	if l.Len() != 1000 {
		t.Fatalf("Len = %d", l.Len())
	}
	if len(l.keys) != l.lru.Len() {
		t.Fatal("map and list disagree")
	}
}

func TestReset(t *testing.T) {
	l, _ := newTest(rate.Every(time.Hour), 1, 10)
	l.Allow("staff@example.com")
	if l.Allow("staff@example.com") {
		t.Fatal("second attempt allowed")
	}
	l.Reset("staff@example.com")
	if !l.Allow("staff@example.com") {
		t.Fatal("Reset did not clear the key")
	}
}

func TestEdgeRates(t *testing.T) {
	inf := New(rate.Inf, 0, 1)
	for i := 0; i < 100; i++ {
		if !inf.Allow("x") {
			t.Fatal("rate.Inf refused")
		}
	}
	zero, _ := newTest(0, 2, 10) // burst only, never refills
	if !zero.Allow("x") || !zero.Allow("x") || zero.Allow("x") {
		t.Fatal("rate 0 with burst 2")
	}
	if zero.Cleanup() != 0 {
		t.Fatal("rate 0 keys must never count as idle")
	}
	if d := New(1, 0, 0); d.burst != 1 || d.max != DefaultMaxKeys {
		t.Fatalf("defaults: burst %d max %d", d.burst, d.max)
	}
}

func TestConcurrent(t *testing.T) {
	l := New(rate.Every(time.Hour), 10, 50)
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				if l.Allow("shared") {
					allowed.Add(1)
				}
				l.Allow(fmt.Sprint(g, "-", i%100))
				if i%97 == 0 {
					l.Cleanup()
					l.Len()
				}
			}
		}(g)
	}
	wg.Wait()
	// "shared" may be evicted by the churn and start over, but never gets
	// more than a burst between evictions; with 50 keys it must be limited.
	if allowed.Load() < 10 || allowed.Load() >= 8000 {
		t.Fatalf("shared allowed %d times", allowed.Load())
	}
	if l.Len() > 50 {
		t.Fatalf("Len = %d", l.Len())
	}
}
