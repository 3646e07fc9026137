package staff

import (
	"testing"
	"time"
)

// TestStoreChangesRefreshConsoles: a change notice from the store (on
// PostgreSQL, from any replica) moves the console's version, which open
// event streams re-read; closing the console unsubscribes.
func TestStoreChangesRefreshConsoles(t *testing.T) {
	ch := make(chan struct{}, 1)
	unsubscribed := make(chan struct{})
	c := New(Options{Changes: func() (<-chan struct{}, func()) { return ch, func() { close(unsubscribed) } }})
	v0 := c.hub.currentVersion()
	ch <- struct{}{}
	deadline := time.Now().Add(5 * time.Second)
	for c.hub.currentVersion() == v0 {
		if time.Now().After(deadline) {
			t.Fatal("a store change did not reach the console")
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.Close()
	select {
	case <-unsubscribed:
	case <-time.After(5 * time.Second):
		t.Fatal("closing the console did not unsubscribe")
	}
}
