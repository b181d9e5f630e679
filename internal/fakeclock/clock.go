// Package fakeclock is the clock tests move by hand, so TTL, refresh,
// pause and rate-limit tests run instantly instead of sleeping.
package fakeclock

import (
	"sync"
	"time"
)

// Clock is a manual clock, safe for concurrent use. Its Now method is what
// components take as their injected `now func() time.Time`; with AfterFunc
// it is also the Clock of groups and runstate.
type Clock struct {
	mu     sync.Mutex
	t      time.Time
	timers []*timer
}

type timer struct {
	at      time.Time
	f       func()
	stopped bool
}

// New returns a clock that reads t until moved.
func New(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// AfterFunc runs f when the clock has been moved d past now, from the
// goroutine that moved it. The returned stop reports whether it stopped f
// from running.
func (c *Clock) AfterFunc(d time.Duration, f func()) (stop func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &timer{at: c.t.Add(d), f: f}
	c.timers = append(c.timers, t)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

// Advance moves the clock forward by d and runs the timers then due.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.set(c.t.Add(d))
}

// Set moves the clock to t and runs the timers then due.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.set(t)
}

// set runs with mu held and releases it before running the due timers,
// which may read the clock.
func (c *Clock) set(t time.Time) {
	c.t = t
	var due []func()
	live := c.timers[:0]
	for _, tm := range c.timers {
		switch {
		case tm.stopped:
		case !tm.at.After(c.t):
			tm.stopped = true
			due = append(due, tm.f)
		default:
			live = append(live, tm)
		}
	}
	c.timers = live
	c.mu.Unlock()
	for _, f := range due {
		f()
	}
}
