package groups

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/blocklist"
)

// mapMatcher blocks the names in block (and their subdomains) unless allow
// has them; policy names the list in the rules it returns.
type mapMatcher struct {
	list         string
	block, allow []string
}

func (m *mapMatcher) Match(name string) (blocklist.Rule, bool) {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	for _, a := range m.allow {
		if dns.IsSubDomain(a, name) {
			return blocklist.Rule{List: "allow", Domain: a, Allow: true}, false
		}
	}
	for _, b := range m.block {
		if dns.IsSubDomain(b, name) {
			return blocklist.Rule{List: m.list, Domain: b, Text: b}, true
		}
	}
	return blocklist.Rule{}, false
}

// fakeLists maps policy names to matchers, like the blocklist Manager.
type fakeLists map[string]blocklist.Matcher

func (f fakeLists) Matcher(policy string) blocklist.Matcher { return f[policy] }

func mustAddr(t testing.TB, s string) netip.Addr {
	t.Helper()
	return netip.MustParseAddr(s)
}

func boolp(b bool) *bool { return &b }
