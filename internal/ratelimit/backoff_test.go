package ratelimit

import (
	"testing"
	"time"
)

func TestBackoffCountsOnlyFailuresAndGrows(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	b := NewBackoff(3, time.Second, 8*time.Second, time.Hour, 0).WithClock(func() time.Time { return now })
	for i := 0; i < 3; i++ {
		if d := b.Fail("k"); d != 0 {
			t.Fatalf("free failure %d: wait %v", i+1, d)
		}
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second}
	for i, w := range want {
		if d := b.Fail("k"); d != w {
			t.Fatalf("failure %d: wait %v, want %v", i+4, d, w)
		}
		if d := b.Wait("k"); d != w {
			t.Fatalf("Wait after failure %d: %v, want %v", i+4, d, w)
		}
		now = now.Add(w)
		if d := b.Wait("k"); d != 0 {
			t.Fatalf("still waiting %v after the delay", d)
		}
	}
	if b.Wait("other") != 0 {
		t.Fatal("another key waits")
	}
	b.Reset("k")
	if b.Fail("k") != 0 {
		t.Fatal("reset key still counted")
	}
	now = now.Add(time.Hour)
	if b.Wait("k") != 0 || b.Len() != 0 {
		t.Fatal("idle key not forgotten")
	}
}

func TestBackoffBoundsKeys(t *testing.T) {
	b := NewBackoff(0, time.Second, time.Minute, time.Hour, 2)
	b.Fail("a")
	b.Fail("b")
	b.Fail("c")
	if b.Len() != 2 || b.Wait("a") != 0 || b.Wait("c") == 0 {
		t.Fatalf("len %d", b.Len())
	}
}
