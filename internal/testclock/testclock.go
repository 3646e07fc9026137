// Package testclock gives clock-driven tests one settable fake clock and the
// date they start at, so no test depends on today's date: the store, the
// worker and the test read the same clock.
//
// The start date is FAQBOT_TEST_EPOCH (RFC 3339) when set, else a fixed
// date. .ci/run runs the clock-driven packages again with the epoch moved far
// into the past and the future: a test that mixes the fake clock with the
// real one (time.Now) fails there on any day, not only once the calendar
// passes its date.
package testclock

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

// EnvEpoch names the environment variable that moves every test epoch.
const EnvEpoch = "FAQBOT_TEST_EPOCH"

// DefaultEpoch is the start date when FAQBOT_TEST_EPOCH is unset.
var DefaultEpoch = time.Date(2026, 3, 2, 15, 4, 5, 0, time.UTC)

// Epochs are dates far in the past, near now and far ahead, for tests that
// run themselves at each (see AtEveryEpoch).
var Epochs = []time.Time{
	time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC),
	time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC),
	time.Date(2099, 12, 31, 23, 0, 0, 0, time.UTC),
}

// Epoch is the date tests start their clocks at: FAQBOT_TEST_EPOCH, or
// DefaultEpoch. A malformed value panics with the expected form, so a CI typo
// cannot silently test the default.
func Epoch() time.Time {
	v := os.Getenv(EnvEpoch)
	if v == "" {
		return DefaultEpoch
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		panic(fmt.Sprintf("%s=%q: want an RFC 3339 time like 2099-12-31T23:00:00Z", EnvEpoch, v))
	}
	return t.UTC()
}

// Clock is a fake clock safe for concurrent use. Its Now method is the
// func() time.Time that store.SQL.SetClock, outbox.Worker.Now and the staff
// console take.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// New is a clock stopped at start.
func New(start time.Time) *Clock { return &Clock{t: start} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// AtEveryEpoch runs fn once per entry of Epochs, as a subtest named by its
// year.
func AtEveryEpoch(t *testing.T, fn func(t *testing.T, start time.Time)) {
	t.Helper()
	for _, e := range Epochs {
		t.Run(e.Format("2006"), func(t *testing.T) { fn(t, e) })
	}
}
