package resolver

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/blocklist"
	"github.com/cleandns/cleandns/policy"
	"github.com/cleandns/cleandns/query"
)

// policyMatcher blocks one domain and its subdomains.
type policyMatcher struct{ domain, list string }

func (m policyMatcher) Match(name string) (blocklist.Rule, bool) {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	if name == m.domain || strings.HasSuffix(name, "."+m.domain) {
		return blocklist.Rule{List: m.list, Domain: m.domain, Text: m.domain}, true
	}
	return blocklist.Rule{}, false
}

func TestAnyLink(t *testing.T) {
	tests := []struct {
		name, protocol string
		qtype          uint16
		wantLocal      bool
	}{
		{"any over udp", "udp", dns.TypeANY, true},
		{"any over tcp", "tcp", dns.TypeANY, false},
		{"any over dot", "dot", dns.TypeANY, false},
		{"a over udp", "udp", dns.TypeA, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := &countingUpstream{}
			resp, err := AnyLink{}.Resolve(context.Background(), policyReq("Example.COM.", tt.qtype, tt.protocol, "10.0.0.1"), next)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.wantLocal {
				if next.n.Load() != 1 {
					t.Errorf("not passed on: %v", resp)
				}
				return
			}
			if next.n.Load() != 0 || resp.Result != query.Local || resp.Reason != "any" {
				t.Fatalf("result %v reason %q, next saw %d", resp.Result, resp.Reason, next.n.Load())
			}
			h, ok := resp.Msg.Answer[0].(*dns.HINFO)
			if len(resp.Msg.Answer) != 1 || !ok || h.Cpu != "RFC8482" || h.Os != "" || h.Hdr.Ttl != anyTTL || h.Hdr.Name != "Example.COM." {
				t.Errorf("answer %v, want one HINFO \"RFC8482\" \"\"", resp.Msg.Answer)
			}
		})
	}
}

// TestAnyOverSockets runs ANY through the pipeline as built: answered over
// UDP, forwarded over TCP, and a blocked name keeps its block answer.
func TestAnyOverSockets(t *testing.T) {
	next := &countingUpstream{}
	matcher := func(string) blocklist.Matcher {
		return policyMatcher{domain: "tiktok.com", list: "builtin:apps-tiktok"}
	}
	mode, err := ParseBlockMode(policy.BlockConfig{TTL: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	addr := serveEdge(t, Build(Parts{Block: NewBlockLink(matcher, mode), Any: AnyLink{}, Forward: next}))

	r := mustAskFrom(t, "udp", "127.0.0.2", addr, policyMsg("example.com.", dns.TypeANY, true))
	if len(r.Answer) != 1 || r.Answer[0].Header().Rrtype != dns.TypeHINFO {
		t.Errorf("ANY over UDP: %v", r)
	}
	if n := next.n.Load(); n != 0 {
		t.Errorf("ANY over UDP reached the upstream (%d)", n)
	}
	r = mustAskFrom(t, "tcp", "127.0.0.2", addr, policyMsg("example.com.", dns.TypeANY, true))
	if r.Rcode != dns.RcodeSuccess || next.n.Load() != 1 {
		t.Errorf("ANY over TCP not forwarded: %v (upstream saw %d)", r, next.n.Load())
	}
	for _, network := range []string{"udp", "tcp"} {
		r = mustAskFrom(t, network, "127.0.0.2", addr, policyMsg("www.tiktok.com.", dns.TypeANY, true))
		if r.Rcode != dns.RcodeNameError {
			t.Errorf("blocked ANY over %s: %s, want the block answer NXDOMAIN", network, dns.RcodeToString[r.Rcode])
		}
		if e := edeOf(r); e == nil || e.InfoCode != query.EDEBlocked || !strings.Contains(e.ExtraText, "builtin:apps-tiktok") {
			t.Errorf("blocked ANY over %s: EDE %v", network, e)
		}
	}
	if n := next.n.Load(); n != 1 {
		t.Errorf("upstream saw %d queries, want only the TCP ANY", n)
	}
}
