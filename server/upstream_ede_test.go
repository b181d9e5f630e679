package server

import (
	"testing"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/internal/dnstest"
)

// TestUpstreamFailureSaysWhy: a SERVFAIL because no upstream answered
// carries RFC 8914's reason, 22 No Reachable Authority for an upstream that
// never answers and 23 Network Error for one whose port is closed.
func TestUpstreamFailureSaysWhy(t *testing.T) {
	silent := dnstest.NewServer(t, func(dns.ResponseWriter, *dns.Msg) {}, dnstest.Drop())
	cases := []struct {
		name     string
		upstream string
		ede      uint16
	}{
		{"never answers", silent, dns.ExtendedErrorCodeNoReachableAuthority},
		{"port closed", dnstest.ClosedAddr(t), dns.ExtendedErrorCodeNetworkError},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := boot(t, "upstreams:\n  servers: [\""+c.upstream+"\"]\n  timeout: 200ms\n  deadline: 500ms\n"+
				"cache:\n  serve_stale: false\n")
			r := ask(t, "udp", s.Addrs()[0], "fails.example.", dns.TypeA, true)
			if r.Rcode != dns.RcodeServerFailure || edeOf(r) != int(c.ede) {
				t.Errorf("rcode %s EDE %d, want SERVFAIL with EDE %d", dns.RcodeToString[r.Rcode], edeOf(r), c.ede)
			}
		})
	}
}
