package policy

// BypassConfig is `blocking.bypass`: answers that keep clients from
// slipping past the filter. Both are on by default. The public DoH/DoT
// resolver names are a blocklist category instead (builtin:doh-resolvers),
// opt-in because some networks rely on them.
type BypassConfig struct {
	// FirefoxCanary answers use-application-dns.net with NXDOMAIN, which
	// tells Firefox to keep using the network's resolver instead of its own
	// DNS over HTTPS.
	FirefoxCanary bool `mapstructure:"firefox_canary"`
	// PrivateRelay answers mask.icloud.com and mask-h2.icloud.com with
	// NXDOMAIN, which turns iCloud Private Relay off on this network.
	PrivateRelay bool `mapstructure:"private_relay"`
}

// DefaultBypassConfig returns the bypass defaults: everything on.
func DefaultBypassConfig() BypassConfig {
	return BypassConfig{FirefoxCanary: true, PrivateRelay: true}
}
