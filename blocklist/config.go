package blocklist

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Config holds the list-loading settings, read from the `blocking:` section.
type Config struct {
	// Refresh is how often every list is reloaded; each wait is jittered by
	// ±10% so that many instances do not hit a list server together.
	Refresh time.Duration `mapstructure:"refresh"`
	// StoreDir keeps the last good copy of each remote list, so a restart
	// during an outage still blocks. Empty keeps nothing on disk.
	StoreDir string `mapstructure:"store_dir"`
	// Timeout bounds one download attempt.
	Timeout time.Duration `mapstructure:"download_timeout"`
	// MaxBytes caps the size of one list; a bigger download fails and the
	// previous copy keeps serving.
	MaxBytes int64 `mapstructure:"max_list_bytes"`
	// Retries is how many times a failed download is retried, with
	// exponential backoff from 1 s, before the refresh counts as failed.
	// 0 means the default; a negative value means no retry.
	Retries int `mapstructure:"download_retries"`
	// ShrinkWarnPercent is the share of a list's entries a new copy may
	// lose before cleandns warns (log, metric, status). The smaller copy is
	// still applied: lists do shrink. 0 means the default.
	ShrinkWarnPercent int `mapstructure:"shrink_warn_percent"`
	// WatchInterval is how often local list files are checked for changes:
	// an edited file is loaded within it, without a refresh or a reload.
	// 0 means the default; a negative value switches the watching off.
	WatchInterval time.Duration `mapstructure:"watch_interval"`
}

// Defaults of Config.
const (
	DefaultRefresh  = 24 * time.Hour
	DefaultTimeout  = 30 * time.Second
	DefaultMaxBytes = 64 << 20
	DefaultRetries  = 2
	// DefaultShrinkWarnPercent warns when a list loses over half its entries.
	DefaultShrinkWarnPercent = 50
	// DefaultWatch is how often local list files are checked.
	DefaultWatch = 5 * time.Second
)

// DefaultConfig returns the configuration used when nothing is set.
func DefaultConfig() Config {
	c := Config{}
	c.SetDefaults()
	return c
}

// SetDefaults fills the fields left at their zero value.
func (c *Config) SetDefaults() {
	if c.Refresh == 0 {
		c.Refresh = DefaultRefresh
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	if c.Retries == 0 {
		c.Retries = DefaultRetries
	}
	if c.WatchInterval == 0 {
		c.WatchInterval = DefaultWatch
	}
	if c.ShrinkWarnPercent == 0 {
		c.ShrinkWarnPercent = DefaultShrinkWarnPercent
	}
}

// Validate reports the first setting that cannot work, naming its key.
func (c *Config) Validate() error {
	switch {
	case c.Refresh < time.Minute:
		return fmt.Errorf("blocking.refresh: %v is below the minimum of 1m", c.Refresh)
	case c.Timeout <= 0:
		return fmt.Errorf("blocking.download_timeout: must be positive, got %v", c.Timeout)
	case c.MaxBytes <= 0:
		return fmt.Errorf("blocking.max_list_bytes: must be positive, got %d", c.MaxBytes)
	case c.WatchInterval > 0 && c.WatchInterval < 100*time.Millisecond:
		return fmt.Errorf("blocking.watch_interval: %v is below the minimum of 100ms", c.WatchInterval)
	case c.Retries > 10:
		return fmt.Errorf("blocking.download_retries: at most 10, got %d", c.Retries)
	case c.ShrinkWarnPercent < 1 || c.ShrinkWarnPercent > 100:
		return fmt.Errorf("blocking.shrink_warn_percent: between 1 and 100, got %d", c.ShrinkWarnPercent)
	}
	return nil
}

// ListSpec names one list of a policy. In YAML it is either a plain string
// (the source) or a map with source, allow and ede.
type ListSpec struct {
	// Source is "builtin:<name>", a file path or an http(s):// URL.
	Source string `mapstructure:"source"`
	// Allow makes every rule of the list an exception for this policy.
	Allow bool `mapstructure:"allow"`
	// EDE is the Extended DNS Error of blocks by this list: "blocked" (the
	// default), "censored" or "filtered" (RFC 8914 codes 15, 16, 17).
	EDE string `mapstructure:"ede"`
	// Match is how the list's plain domain and hosts lines match:
	// "subdomains" (the default: the name and its subdomains) or "exact"
	// (the name only, as Pi-hole reads them). Adblock, RPZ and dnsmasq
	// rules keep the scope their syntax gives.
	Match string `mapstructure:"match"`
}

// exact reports whether the list's plain lines name only themselves.
func (l ListSpec) exact() (bool, error) {
	switch strings.ToLower(l.Match) {
	case "", "subdomains":
		return false, nil
	case "exact":
		return true, nil
	}
	return false, fmt.Errorf("list %q: match %q is not one of subdomains, exact", l.Source, l.Match)
}

// UnmarshalText lets a plain string stand for ListSpec{Source: s}.
func (l *ListSpec) UnmarshalText(text []byte) error {
	*l = ListSpec{Source: strings.TrimSpace(string(text))}
	if l.Source == "" {
		return errors.New("empty list source")
	}
	return nil
}

// edeCode maps the ede setting to its RFC 8914 code.
func (l ListSpec) edeCode() (uint16, error) {
	switch strings.ToLower(l.EDE) {
	case "", "blocked":
		return 15, nil
	case "censored":
		return 16, nil
	case "filtered":
		return 17, nil
	}
	return 0, fmt.Errorf("list %q: ede %q is not one of blocked, censored, filtered", l.Source, l.EDE)
}

// Policy is one set of lists, such as a client group's: its own Matcher.
type Policy struct {
	Name  string     `mapstructure:"name"`
	Lists []ListSpec `mapstructure:"lists"`
	// Allow holds exceptions written inline: domains (name and subdomains)
	// or rules in any list format.
	Allow []string `mapstructure:"allow"`
}
