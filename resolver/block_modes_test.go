package resolver

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/blocklist"
	"github.com/cleandns/cleandns/policy"
	"github.com/cleandns/cleandns/query"
)

// edeMatcher blocks tiktok.com with a chosen EDE code.
type edeMatcher struct{ code uint16 }

func (m edeMatcher) Match(name string) (blocklist.Rule, bool) {
	r, ok := policyMatcher{domain: "tiktok.com", list: "builtin:apps-tiktok"}.Match(name)
	r.EDE = m.code
	return r, ok
}

type swapLink struct{ p *atomic.Pointer[BlockLink] }

func (l swapLink) Resolve(ctx context.Context, req *query.Request, next Handler) (*query.Response, error) {
	return l.p.Load().Resolve(ctx, req, next)
}

// TestBlockModesOverSockets pins each block mode's exact answer: rcode,
// records, SOA owner and TTLs, and the EDE, with and without EDNS.
func TestBlockModesOverSockets(t *testing.T) {
	tests := []struct {
		name     string
		response []string
		ede      uint16
		qtype    uint16
		rcode    int
		answer   string // first answer's address, or ""
		soa      bool
		wantEDE  uint16
	}{
		{"nxdomain", nil, 0, dns.TypeA, dns.RcodeNameError, "", true, query.EDEBlocked},
		{"nxdomain filtered", []string{"nxdomain"}, query.EDEFiltered, dns.TypeA, dns.RcodeNameError, "", true, query.EDEFiltered},
		{"nxdomain censored", []string{"nxdomain"}, query.EDECensored, dns.TypeA, dns.RcodeNameError, "", true, query.EDECensored},
		{"nodata", []string{"nodata"}, 0, dns.TypeA, dns.RcodeSuccess, "", true, query.EDEBlocked},
		{"null_ip A", []string{"null_ip"}, 0, dns.TypeA, dns.RcodeSuccess, "0.0.0.0", false, query.EDEBlocked},
		{"null_ip AAAA", []string{"null_ip"}, 0, dns.TypeAAAA, dns.RcodeSuccess, "::", false, query.EDEBlocked},
		{"null_ip MX is NODATA", []string{"null_ip"}, 0, dns.TypeMX, dns.RcodeSuccess, "", true, query.EDEBlocked},
		{"refused", []string{"refused"}, 0, dns.TypeA, dns.RcodeRefused, "", false, query.EDEBlocked},
		{"block page", []string{"192.0.2.80", "2001:db8::80"}, 0, dns.TypeAAAA, dns.RcodeSuccess, "2001:db8::80", false, query.EDEBlocked},
	}
	var current atomic.Pointer[BlockLink] // one server; each case swaps its link in
	addr := serveEdge(t, Build(Parts{Block: swapLink{&current}, Forward: &countingUpstream{}}))
	for _, tt := range tests {
		mode, err := ParseBlockMode(policy.BlockConfig{Response: tt.response, TTL: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		m := edeMatcher{tt.ede}
		current.Store(NewBlockLink(func(string) blocklist.Matcher { return m }, mode))
		for _, edns := range []bool{true, false} {
			name := tt.name + map[bool]string{true: "/edns", false: "/plain"}[edns]
			t.Run(name, func(t *testing.T) {
				r := mustAskFrom(t, "udp", "127.0.0.2", addr, policyMsg("www.TikTok.com.", tt.qtype, edns))
				if r.Rcode != tt.rcode {
					t.Errorf("rcode %s, want %s", dns.RcodeToString[r.Rcode], dns.RcodeToString[tt.rcode])
				}
				if got := firstRData(r.Answer); got != tt.answer {
					t.Errorf("answer %q, want %q", got, tt.answer)
				}
				if tt.answer != "" && r.Answer[0].Header().Ttl != 10 {
					t.Errorf("answer TTL %d, want blocking.ttl 10", r.Answer[0].Header().Ttl)
				}
				var soa *dns.SOA
				if len(r.Ns) == 1 {
					soa, _ = r.Ns[0].(*dns.SOA)
				}
				if (soa != nil) != tt.soa {
					t.Fatalf("authority %v, want an SOA: %v", r.Ns, tt.soa)
				}
				if soa != nil && (soa.Hdr.Name != "tiktok.com." || soa.Hdr.Ttl != 10 || soa.Minttl != 10) {
					t.Errorf("SOA %v, want owner tiktok.com. with TTL and MINIMUM 10", soa)
				}
				e := edeOf(r)
				if !edns {
					if r.IsEdns0() != nil {
						t.Error("OPT in the answer to a query without EDNS")
					}
					return
				}
				if e == nil || e.InfoCode != tt.wantEDE || !strings.Contains(e.ExtraText, "builtin:apps-tiktok") {
					t.Errorf("EDE %v, want %d naming the list", e, tt.wantEDE)
				}
			})
		}
	}
}
