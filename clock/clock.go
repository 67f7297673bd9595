// Package clock holds Manual, a clock that moves only when told to. kamobot
// takes its time from an injected func() time.Time; tests, benchmarks and
// the fakes pass Manual.Now to see what happens at a given moment. Tests
// whose code only waits use testing/synctest instead; Manual remains for
// those synctest cannot serve: a clock set back (the fault tests' clock
// jumps) and fakes answering over real network connections.
package clock

import (
	"sync"
	"time"
)

// Manual is a clock that stands still until Add moves it. It is
// safe for concurrent use: the fake servers read it from their own
// goroutines.
type Manual struct {
	mu sync.Mutex
	t  time.Time
}

// NewManual returns a clock showing t.
func NewManual(t time.Time) *Manual { return &Manual{t: t} }

// Now is the time the clock shows.
func (c *Manual) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock by d (back when d is negative).
func (c *Manual) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
