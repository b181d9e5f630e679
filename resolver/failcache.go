package resolver

import (
	"time"
)

// Resolution failures are cached (RFC 9520): for failMinTTL after the first,
// doubling for each failure that follows within the previous backoff, up to
// failMaxTTL (the RFC allows up to five minutes; a name that fails for
// longer is retried every half minute). At most failMaxEntries are kept, so
// a flood of random failing names cannot grow the map without bound.
const (
	failMinTTL     = time.Second
	failMaxTTL     = 30 * time.Second
	failMaxEntries = 10000
)

// failure is one cached resolution failure.
type failure struct {
	until   time.Time     // answered from the cache until then
	backoff time.Duration // the last period; doubled by a failure before until+backoff
}

// failCache is the cached failures of a Dedup; its mu guards it.
type failCache map[dedupKey]failure

// failed reports whether k's last resolution failed less than its backoff
// ago. The clock is read only for a name that failed: most never did.
func (c failCache) failed(k dedupKey, now func() time.Time) bool {
	f, ok := c[k]
	return ok && now().Before(f.until)
}

// add records a failure of k at now.
func (c failCache) add(k dedupKey, now time.Time) {
	backoff := failMinTTL
	if f, ok := c[k]; ok && now.Before(f.until.Add(f.backoff)) {
		backoff = min(2*f.backoff, failMaxTTL)
	} else if !ok && len(c) >= failMaxEntries {
		c.sweep(now)
		if len(c) >= failMaxEntries {
			return // full of live failures: this one goes uncached
		}
	}
	c[k] = failure{until: now.Add(backoff), backoff: backoff}
}

// sweep drops the failures too old to double any more.
func (c failCache) sweep(now time.Time) {
	for k, f := range c {
		if !now.Before(f.until.Add(f.backoff)) {
			delete(c, k)
		}
	}
}
