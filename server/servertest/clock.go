package servertest

import (
	"fmt"
	"os"
	"sync"
	"time"
)

// Zone is the branch's time zone on every test box (DefaultConfig).
const Zone = "Asia/Shanghai"

// NowEnv names the variable that sets the instant a test box's clock starts
// at when the test does not choose one, e.g.
// QUEUEBOX_TEST_NOW=2026-12-12T23:58:00+08:00 (a Saturday, two minutes to
// midnight in the branch). Its date is also the "today" of Today. Unset,
// boxes start at 11:00 today in the branch, far from either midnight.
const NowEnv = "QUEUEBOX_TEST_NOW"

// Clock is a test box's clock: it runs with real time from where a test put
// it, since the pages' timers and the browser run in real time too. Like a
// real box it has a wall clock (Now) and a monotonic one (Running); Advance
// is time passing and moves both, Step sets the wall clock alone, as NTP or
// an admin does.
type Clock struct {
	mu    sync.Mutex
	start time.Time // real time when the clock was made (monotonic)
	off   time.Duration
	moved time.Duration // time passed by Advance
}

// NewClock returns a clock that reads at now and runs on from there.
func NewClock(at time.Time) *Clock {
	now := time.Now()
	return &Clock{start: now, off: at.Sub(now)}
}

// Now is the clock's wall time, without a monotonic reading, like a clock
// that was set.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Round(0).Add(c.off)
}

// Running is the monotonic time since the clock was made.
func (c *Clock) Running() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Since(c.start) + c.moved
}

// Advance is d of time passing at once (d ≥ 0).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	if d > 0 {
		c.moved += d
	}
	c.mu.Unlock()
}

// Step sets the wall clock by d, leaving the monotonic clock alone.
func (c *Clock) Step(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// Location is the branch's time zone on test boxes.
func Location() *time.Location {
	loc, err := time.LoadLocation(Zone)
	if err != nil {
		panic(fmt.Sprintf("servertest: time zone %s: %v", Zone, err))
	}
	return loc
}

// base is the present as tests see it: QUEUEBOX_TEST_NOW, or the real
// clock. It is read once, so "today" stays one day for the whole test run
// even when the real clock passes midnight under it.
func base() (t time.Time, forced bool) {
	b := readBase()
	return b.t, b.forced
}

type present struct {
	t      time.Time
	forced bool
}

var readBase = sync.OnceValue(func() present {
	if s := os.Getenv(NowEnv); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(fmt.Sprintf("servertest: %s=%q is not an RFC 3339 time such as 2026-12-12T23:58:00+08:00", NowEnv, s))
		}
		return present{t, true}
	}
	return present{time.Now().Round(0), false}
})

// Today is hour:minute today in the branch's zone: a test that needs a day
// that does not end under it, or a time of day, starts its box there.
func Today(hour, minute int) time.Time {
	t, _ := base()
	t = t.In(Location())
	return time.Date(t.Year(), t.Month(), t.Day(), hour, minute, 0, 0, t.Location())
}

// StartAt is where a box's clock starts when the test does not say: the
// instant of QUEUEBOX_TEST_NOW if set, else 11:00 today in the branch.
func StartAt() time.Time {
	if t, forced := base(); forced {
		return t
	}
	return Today(11, 0)
}
