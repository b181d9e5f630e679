// Package fakeclock is the clock tests move by hand, so TTL, refresh,
// pause and rate-limit tests run instantly instead of sleeping.
package fakeclock

import (
	"sync"
	"time"
)

// Clock is a manual clock, safe for concurrent use. Its Now method is what
// components take as their injected `now func() time.Time`.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// New returns a clock that reads t until moved.
func New(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}
