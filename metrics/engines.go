package metrics

import (
	"github.com/cleandns/cleandns/blocklist"
	"github.com/cleandns/cleandns/cache"
	"github.com/cleandns/cleandns/upstream"
)

// The engines say which series they update in a Metrics type of their own;
// these hand each its series, so no engine imports this package.

// Cache returns the cache's series.
func (m *Metrics) Cache() cache.Metrics {
	return cache.Metrics{Hits: m.CacheHits, Misses: m.CacheMisses, Evictions: m.CacheEvictions,
		Entries: m.CacheEntries, Bytes: m.CacheBytes}
}

// Upstream returns the forwarder's series.
func (m *Metrics) Upstream() *upstream.Metrics {
	return &upstream.Metrics{Duration: m.UpstreamDuration, Errors: m.UpstreamErrors, Healthy: m.UpstreamHealthy,
		Rejected: m.UpstreamRejected, Loops: m.UpstreamLoops}
}

// Blocklist returns the list manager's series.
func (m *Metrics) Blocklist() *blocklist.Metrics {
	return &blocklist.Metrics{Entries: m.BlocklistEntries, RegexRules: m.BlocklistRegexRules,
		LastSuccess: m.BlocklistLastSuccess, RefreshErrors: m.BlocklistRefreshErrors,
		ShrinkWarning: m.BlocklistShrinkWarning, Refused: m.BlocklistRefused}
}
