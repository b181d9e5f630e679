package dnssec

import (
	"fmt"
	"slices"
	"sync"

	"github.com/miekg/dns"
)

// NegativeAnchors is the set of domains exempt from validation (RFC 7646).
// The config provides the first set; the API adds and removes at run time.
// Lookups take a read lock only: the set is small and changes rarely.
type NegativeAnchors struct {
	mu    sync.RWMutex
	names map[string]struct{}
}

// NewNegativeAnchors returns the set holding domains.
func NewNegativeAnchors(domains []string) (*NegativeAnchors, error) {
	n := &NegativeAnchors{names: map[string]struct{}{}}
	for _, d := range domains {
		if err := n.Add(d); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// Add exempts domain and its subdomains.
func (n *NegativeAnchors) Add(domain string) error {
	if _, ok := dns.IsDomainName(domain); !ok || domain == "" {
		return fmt.Errorf("negative trust anchor %q: not a domain name", domain)
	}
	n.mu.Lock()
	n.names[dns.CanonicalName(domain)] = struct{}{}
	n.mu.Unlock()
	return nil
}

// Remove validates domain again. It reports whether domain was in the set.
func (n *NegativeAnchors) Remove(domain string) bool {
	name := dns.CanonicalName(domain)
	n.mu.Lock()
	defer n.mu.Unlock()
	_, ok := n.names[name]
	delete(n.names, name)
	return ok
}

// List returns the domains, sorted.
func (n *NegativeAnchors) List() []string {
	n.mu.RLock()
	out := make([]string, 0, len(n.names))
	for d := range n.names {
		out = append(out, d)
	}
	n.mu.RUnlock()
	slices.Sort(out)
	return out
}

// covers returns the negative anchor covering name (canonical), or "".
func (n *NegativeAnchors) covers(name string) string {
	if n == nil {
		return ""
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	if len(n.names) == 0 {
		return ""
	}
	for d := name; ; d = parent(d) {
		if _, ok := n.names[d]; ok {
			return d
		}
		if d == "." {
			return ""
		}
	}
}
