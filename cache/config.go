package cache

import (
	"errors"
	"fmt"
	"time"
)

// Config is the `cache:` section of the configuration file.
type Config struct {
	// Enabled puts the cache in the pipeline; when false it is left out.
	Enabled bool `mapstructure:"enabled"`
	// MaxBytes bounds the memory the entries account for (wire answer,
	// key and bookkeeping). Popular entries survive eviction.
	MaxBytes int64 `mapstructure:"max_bytes"`
	// MinTTL raises short positive TTLs; 0 keeps the upstream's TTLs.
	MinTTL time.Duration `mapstructure:"min_ttl"`
	// MaxTTL caps positive TTLs.
	MaxTTL time.Duration `mapstructure:"max_ttl"`
	// NegativeMaxTTL caps the RFC 2308 negative TTL of NXDOMAIN and NODATA.
	NegativeMaxTTL time.Duration `mapstructure:"negative_max_ttl"`
	// ServfailTTL is how long a SERVFAIL is remembered (RFC 9520); 0 disables.
	ServfailTTL time.Duration `mapstructure:"servfail_ttl"`
	// ServeStale answers from expired entries when upstreams fail (RFC 8767).
	ServeStale bool `mapstructure:"serve_stale"`
	// StaleMaxAge is how long past expiry an entry may still be served.
	StaleMaxAge time.Duration `mapstructure:"stale_max_age"`
	// ClientTimeout is the RFC 8767 client-response timer: how long a client
	// waits for the upstream before a stale answer is served instead.
	ClientTimeout time.Duration `mapstructure:"client_timeout"`
	// StaleRecheck is the RFC 8767 failure-recheck timer: after a refresh of
	// a name fails, stale answers are served without asking upstream again
	// until it has passed.
	StaleRecheck time.Duration `mapstructure:"stale_recheck"`
	// Prefetch refreshes popular entries in the background shortly before
	// they expire, so their clients never see a miss.
	Prefetch bool `mapstructure:"prefetch"`
	// PrefetchMinHits is how many hits make an entry popular enough to prefetch.
	PrefetchMinHits uint32 `mapstructure:"prefetch_min_hits"`
}

// Defaults of the documented keys.
const (
	DefaultMaxBytes        = 64 << 20
	DefaultMaxTTL          = 24 * time.Hour
	DefaultNegativeMaxTTL  = time.Hour
	DefaultServfailTTL     = 5 * time.Second
	DefaultStaleMaxAge     = 24 * time.Hour
	DefaultClientTimeout   = 1800 * time.Millisecond
	DefaultStaleRecheck    = 30 * time.Second
	DefaultPrefetchMinHits = 3
)

// SetDefaults sets every field to its default. Call it before decoding the
// file over the struct, so that keys the file leaves out keep their default.
func (c *Config) SetDefaults() {
	*c = Config{
		Enabled:         true,
		MaxBytes:        DefaultMaxBytes,
		MaxTTL:          DefaultMaxTTL,
		NegativeMaxTTL:  DefaultNegativeMaxTTL,
		ServfailTTL:     DefaultServfailTTL,
		ServeStale:      true,
		StaleMaxAge:     DefaultStaleMaxAge,
		ClientTimeout:   DefaultClientTimeout,
		StaleRecheck:    DefaultStaleRecheck,
		Prefetch:        true,
		PrefetchMinHits: DefaultPrefetchMinHits,
	}
}

// Validate reports every invalid key, each named as in the file.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, msg string) { errs = append(errs, fmt.Errorf("cache.%s: %s", key, msg)) }
	if c.MaxBytes <= 0 {
		bad("max_bytes", "must be > 0")
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{
		{"min_ttl", c.MinTTL}, {"max_ttl", c.MaxTTL}, {"negative_max_ttl", c.NegativeMaxTTL},
		{"servfail_ttl", c.ServfailTTL}, {"stale_max_age", c.StaleMaxAge},
		{"client_timeout", c.ClientTimeout}, {"stale_recheck", c.StaleRecheck},
	} {
		if d.v < 0 {
			bad(d.key, "must be >= 0")
		}
	}
	if c.MaxTTL <= 0 {
		bad("max_ttl", "must be > 0")
	}
	if c.MinTTL > c.MaxTTL {
		bad("min_ttl", "must be <= cache.max_ttl")
	}
	if c.ServeStale && c.ClientTimeout <= 0 {
		bad("client_timeout", "must be > 0 when serve_stale is on")
	}
	return errors.Join(errs...)
}
