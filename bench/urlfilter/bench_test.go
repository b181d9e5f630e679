package urlfilter

import (
	"fmt"
	"testing"

	"github.com/AdguardTeam/urlfilter"
	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/blocklist"
)

// unlistedNames are names no rule of the SDN filter matches.
func unlistedNames() []string {
	names := make([]string, 1024)
	for i := range names {
		names[i] = fmt.Sprintf("www.unlisted%d.example-nowhere.net", i)
	}
	return names
}

// BenchmarkUnlistedSDN is the lookup of a name no rule matches, with
// AdGuard's Simplified Domain Names filter loaded, in both engines.
func BenchmarkUnlistedSDN(b *testing.B) {
	e, m := engines(b, sdnFilter(b))
	names := unlistedNames()
	b.Run("cleandns", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if d := m.MatchQuery(blocklist.Query{Name: names[i&1023], Type: dns.TypeA}); d.Blocked {
				b.Fatal("blocked")
			}
		}
	})
	b.Run("urlfilter", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, ok := e.MatchRequest(&urlfilter.DNSRequest{Hostname: names[i&1023], DNSType: dns.TypeA}); ok {
				b.Fatal("blocked")
			}
		}
	})
}

// BenchmarkListedSDN is the lookup of a subdomain of a listed name.
func BenchmarkListedSDN(b *testing.B) {
	e, m := engines(b, sdnFilter(b))
	var names []string
	for _, p := range probes(sdnFilter(b), false) {
		if p.kind == "subdomain" && len(names) < 1024 {
			if d := m.MatchQuery(blocklist.Query{Name: p.name, Type: dns.TypeA}); d.Blocked {
				names = append(names, p.name)
			}
		}
	}
	n := len(names)
	b.Run("cleandns", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			m.MatchQuery(blocklist.Query{Name: names[i%n], Type: dns.TypeA})
		}
	})
	b.Run("urlfilter", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			e.MatchRequest(&urlfilter.DNSRequest{Hostname: names[i%n], DNSType: dns.TypeA})
		}
	})
}
