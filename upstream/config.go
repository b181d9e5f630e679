package upstream

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Strategy names.
const (
	StrategyFailover = "failover" // in the configured order
	StrategyFastest  = "fastest"  // race two healthy upstreams, weighted to the faster
	StrategyRandom   = "random"   // a random healthy upstream first
)

// Config is the `upstreams:` section of the configuration file.
type Config struct {
	// Servers are the default upstreams: `1.1.1.1`, `1.1.1.1:53`, `[::1]:53`,
	// `udp://…`, `tcp://…`, `tls://host:853`, `tls://ip:853#servername` or
	// `https://host/dns-query`.
	Servers []string `mapstructure:"servers"`
	// Strategy picks among Servers: failover (default), fastest or random.
	Strategy string `mapstructure:"strategy"`
	// Bootstrap are IP addresses of plain DNS resolvers used only to resolve
	// host names in Servers and zone servers; never the system resolver.
	Bootstrap []string `mapstructure:"bootstrap"`
	// Timeout bounds one attempt with one upstream (default 2s).
	Timeout time.Duration `mapstructure:"timeout"`
	// Deadline bounds a whole query, all attempts included (default 5s).
	Deadline time.Duration `mapstructure:"deadline"`
	// CAFile is a PEM bundle trusted for DoT and DoH in addition to the
	// system roots.
	CAFile string `mapstructure:"ca_file"`
	// MaxConcurrent caps queries in flight upstream (default 1000); more are
	// rejected at once with ErrOverloaded.
	MaxConcurrent int `mapstructure:"max_concurrent"`
	// MaxFails is how many failures in a row mark an upstream down (default 3).
	MaxFails int `mapstructure:"max_fails"`
	// FailFast makes a query fail at once while every upstream of its group is
	// down, instead of trying them anyway.
	FailFast bool `mapstructure:"fail_fast"`
}

// Zone is one entry of `forward_zones:`: names at or under Zone go to Servers.
type Zone struct {
	Zone     string   `mapstructure:"zone"`
	Servers  []string `mapstructure:"servers"`
	Strategy string   `mapstructure:"strategy"` // default failover
}

// Defaults applied by SetDefaults.
const (
	DefaultTimeout       = 2 * time.Second
	DefaultDeadline      = 5 * time.Second
	DefaultMaxConcurrent = 1000
	DefaultMaxFails      = 3
)

// SetDefaults fills every unset field with its default.
func (c *Config) SetDefaults() {
	if c.Strategy == "" {
		c.Strategy = StrategyFailover
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Deadline == 0 {
		c.Deadline = DefaultDeadline
	}
	if c.MaxConcurrent == 0 {
		c.MaxConcurrent = DefaultMaxConcurrent
	}
	if c.MaxFails == 0 {
		c.MaxFails = DefaultMaxFails
	}
}

// Validate checks c (after SetDefaults); its errors name the key at fault,
// e.g. `upstreams.servers[1]: "tls://x": missing port`.
func (c Config) Validate() error {
	var errs []error
	if len(c.Servers) == 0 {
		errs = append(errs, errors.New("upstreams.servers: at least one server is required"))
	}
	needBootstrap := checkServers("upstreams.servers", c.Servers, &errs)
	if err := checkStrategy(c.Strategy); err != nil {
		errs = append(errs, fmt.Errorf("upstreams.strategy: %w", err))
	}
	for i, b := range c.Bootstrap {
		if _, err := netip.ParseAddrPort(b); err != nil {
			if _, err := netip.ParseAddr(b); err != nil {
				errs = append(errs, fmt.Errorf("upstreams.bootstrap[%d]: %q: not an IP address", i, b))
			}
		}
	}
	if needBootstrap != "" && len(c.Bootstrap) == 0 {
		errs = append(errs, fmt.Errorf("upstreams.bootstrap: required to resolve %q", needBootstrap))
	}
	if c.Timeout <= 0 || c.Deadline <= 0 {
		errs = append(errs, errors.New("upstreams.timeout, upstreams.deadline: must be positive"))
	} else if c.Deadline < c.Timeout {
		errs = append(errs, fmt.Errorf("upstreams.deadline: %v is shorter than upstreams.timeout %v", c.Deadline, c.Timeout))
	}
	if c.MaxConcurrent < 0 {
		errs = append(errs, errors.New("upstreams.max_concurrent: must be positive"))
	}
	if c.MaxFails < 0 {
		errs = append(errs, errors.New("upstreams.max_fails: must be positive"))
	}
	return errors.Join(errs...)
}

// ValidateZones checks the `forward_zones:` list; bootstrap is the
// upstreams.bootstrap list host names in zone servers are resolved with.
func ValidateZones(zones []Zone, bootstrap []string) error {
	var errs []error
	seen := map[string]int{}
	for i, z := range zones {
		key := fmt.Sprintf("forward_zones[%d]", i)
		name, ok := normalizeZone(z.Zone)
		if !ok {
			errs = append(errs, fmt.Errorf("%s.zone: %q is not a domain name", key, z.Zone))
		} else if j, dup := seen[name]; dup {
			errs = append(errs, fmt.Errorf("%s.zone: %q repeats forward_zones[%d]", key, z.Zone, j))
		} else {
			seen[name] = i
		}
		if len(z.Servers) == 0 {
			errs = append(errs, fmt.Errorf("%s.servers: at least one server is required", key))
		}
		if h := checkServers(key+".servers", z.Servers, &errs); h != "" && len(bootstrap) == 0 {
			errs = append(errs, fmt.Errorf("upstreams.bootstrap: required to resolve %q", h))
		}
		if z.Strategy != "" {
			if err := checkStrategy(z.Strategy); err != nil {
				errs = append(errs, fmt.Errorf("%s.strategy: %w", key, err))
			}
		}
	}
	return errors.Join(errs...)
}

// checkServers appends an error per bad server and returns the first host
// name that needs bootstrap resolution, if any.
func checkServers(key string, servers []string, errs *[]error) (hostName string) {
	for i, s := range servers {
		e, err := parseEndpoint(s)
		if err != nil {
			*errs = append(*errs, fmt.Errorf("%s[%d]: %q: %w", key, i, s, err))
			continue
		}
		if _, isIP := e.ip(); !isIP && hostName == "" {
			hostName = s
		}
	}
	return hostName
}

func checkStrategy(s string) error {
	switch s {
	case StrategyFailover, StrategyFastest, StrategyRandom:
		return nil
	}
	return fmt.Errorf("%q: want failover, fastest or random", s)
}

// normalizeZone lowercases and fully qualifies a zone name.
func normalizeZone(z string) (string, bool) {
	if z == "" {
		return "", false
	}
	if _, ok := dns.IsDomainName(z); !ok {
		return "", false
	}
	return dns.Fqdn(strings.ToLower(z)), true
}
