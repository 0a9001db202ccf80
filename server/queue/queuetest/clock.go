// Package queuetest holds what tests of the queue engine and of everything
// built on it share.
package queuetest

import (
	"sync"
	"time"
)

// Clock is a queue.Clock that tests set and move by hand. Handlers read it
// from many goroutines while a test moves it, hence the lock.
//
// Like a real box it has two clocks: the wall clock (Now) and a monotonic
// one (Running). Set and Advance are time passing, and move both; Step sets
// the wall clock alone, the way NTP or an admin does.
type Clock struct {
	mu   sync.Mutex
	now  time.Time
	mono time.Duration
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now is the clock's wall time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Running is the monotonic clock: how much time has passed since NewClock.
func (c *Clock) Running() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mono
}

// Set puts the clock at t as time passing would. Time never passes
// backwards, so a t before Now is a step of the wall clock alone.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	if d := t.Sub(c.now); d > 0 {
		c.mono += d
	}
	c.now = t
	c.mu.Unlock()
}

// Advance moves the clock on by d (d ≥ 0).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	if d > 0 {
		c.mono += d
	}
	c.mu.Unlock()
}

// Step sets the wall clock by d, leaving the monotonic clock alone.
func (c *Clock) Step(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}
