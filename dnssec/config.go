package dnssec

import (
	"fmt"
	"strings"

	"github.com/miekg/dns"
)

// Config is the dnssec section of the configuration.
type Config struct {
	// Enabled (the dnssec.validate key) switches validation on. Off,
	// answers pass through as the upstream sent them.
	Enabled bool `mapstructure:"validate"`
	// TrustAnchors is a file of DS or DNSKEY records (zone-file form, as
	// Unbound's trust-anchor-file) that replaces the built-in root anchors:
	// a private root for tests or an air-gapped network. Empty: the root
	// zone's KSK-2017 and KSK-2024.
	TrustAnchors string `mapstructure:"trust_anchors"`
	// NegativeTrustAnchors are domains (and their subdomains) whose answers
	// are not validated (RFC 7646): for a zone whose signatures are broken
	// that clients must reach anyway. They are answered as insecure.
	NegativeTrustAnchors []string `mapstructure:"negative_trust_anchors"`
}

// Validate checks the config without reading the anchor file.
func (c *Config) Validate() error {
	for _, d := range c.NegativeTrustAnchors {
		if _, ok := dns.IsDomainName(d); !ok || strings.TrimSpace(d) == "" {
			return fmt.Errorf("dnssec.negative_trust_anchors: %q is not a domain name", d)
		}
	}
	return nil
}

// Anchors returns the configured trust anchors: the file's when one is
// set, else the built-in root anchors.
func (c *Config) Anchors() (Anchors, error) {
	if c.TrustAnchors == "" {
		return RootAnchors(), nil
	}
	return LoadAnchors(c.TrustAnchors)
}
