package resolver

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/zap"

	"github.com/cleandns/cleandns/metrics"
	"github.com/cleandns/cleandns/policy"
	"github.com/cleandns/cleandns/query"
)

func newAccessLink(t *testing.T, action string, allow ...string) *AccessLink {
	t.Helper()
	a, err := policy.NewAccess(policy.AccessConfig{Allow: allow, Action: action})
	if err != nil {
		t.Fatal(err)
	}
	return NewAccessLink(a)
}

func TestAccessLink(t *testing.T) {
	tests := []struct {
		name       string
		action     string
		client     string
		wantResult query.Result
		wantRcode  int
		wantNext   bool
	}{
		{"inside", "refuse", "10.1.2.3", query.Forwarded, dns.RcodeSuccess, true},
		{"inside IPv6", "refuse", "fd00::5", query.Forwarded, dns.RcodeSuccess, true},
		{"mapped inside", "refuse", "::ffff:10.1.2.3", query.Forwarded, dns.RcodeSuccess, true},
		{"outside refused", "refuse", "203.0.113.9", query.Refused, dns.RcodeRefused, false},
		{"outside IPv6 refused", "refuse", "2001:db8::1", query.Refused, dns.RcodeRefused, false},
		{"outside dropped", "drop", "203.0.113.9", query.Dropped, -1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			link := newAccessLink(t, tt.action, "10.0.0.0/8", "fd00::/8")
			next := &countingUpstream{}
			resp, err := link.Resolve(context.Background(), policyReq("example.com.", dns.TypeA, "udp", tt.client), next)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Result != tt.wantResult || (next.n.Load() == 1) != tt.wantNext {
				t.Fatalf("result %v, next called %d times; want %v, next %v", resp.Result, next.n.Load(), tt.wantResult, tt.wantNext)
			}
			switch tt.wantResult {
			case query.Dropped:
				if resp.Msg != nil || resp.Reason != "access" {
					t.Errorf("drop: msg %v, reason %q", resp.Msg, resp.Reason)
				}
			case query.Refused:
				if resp.Msg.Rcode != tt.wantRcode || resp.Reason != "access" {
					t.Errorf("rcode %s, reason %q", dns.RcodeToString[resp.Msg.Rcode], resp.Reason)
				}
				if resp.EDE == nil || resp.EDE.InfoCode != query.EDEProhibited || resp.EDE.ExtraText != "Prohibited" {
					t.Errorf("EDE = %v, want 18 Prohibited", resp.EDE)
				}
			}
		})
	}
}

// TestAccessOverSockets uses loopback addresses as distinct clients: only
// 127.0.0.3 is allowed.
func TestAccessOverSockets(t *testing.T) {
	next := &countingUpstream{}
	addr := serveEdge(t, Build(Parts{Access: newAccessLink(t, "refuse", "127.0.0.3/32"), Forward: next}))

	r := mustAskFrom(t, "udp", "127.0.0.2", addr, policyMsg("example.com.", dns.TypeA, true))
	if r.Rcode != dns.RcodeRefused {
		t.Errorf("outside client: rcode %s, want REFUSED", dns.RcodeToString[r.Rcode])
	}
	if e := edeOf(r); e == nil || e.InfoCode != query.EDEProhibited {
		t.Errorf("outside client: EDE %v, want 18", e)
	}
	r = mustAskFrom(t, "tcp", "127.0.0.2", addr, policyMsg("example.com.", dns.TypeA, false))
	if r.Rcode != dns.RcodeRefused || r.IsEdns0() != nil {
		t.Errorf("outside client over TCP without EDNS: rcode %s, OPT %v", dns.RcodeToString[r.Rcode], r.IsEdns0())
	}
	for _, network := range []string{"udp", "tcp"} {
		r = mustAskFrom(t, network, "127.0.0.3", addr, policyMsg("example.com.", dns.TypeA, true))
		if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
			t.Errorf("inside client over %s: %s with %d answers", network, dns.RcodeToString[r.Rcode], len(r.Answer))
		}
	}
	if n := next.n.Load(); n != 2 {
		t.Errorf("%d queries passed access, want the inside client's 2", n)
	}

	dropAddr := serveEdge(t, Build(Parts{Access: newAccessLink(t, "drop", "127.0.0.3/32"), Forward: next}))
	c := &dns.Client{Net: "udp", Timeout: 200 * time.Millisecond, Dialer: &net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP("127.0.0.2")}}}
	if r, _, err := c.Exchange(policyMsg("example.com.", dns.TypeA, true), dropAddr); err == nil {
		t.Errorf("action drop answered: %v", r)
	}
}

// TestAccessMappedSource checks, through the edge, that an IPv4-mapped IPv6
// source (a dual-stack socket's view of an IPv4 client) matches IPv4 rules.
func TestAccessMappedSource(t *testing.T) {
	edge := NewEdge(EdgeConfig{}, Build(Parts{Access: newAccessLink(t, "refuse", "10.0.0.0/8"), Forward: &countingUpstream{}}),
		metrics.NewUnregistered(), zap.NewNop())
	tests := []struct {
		src  string
		want int
	}{
		{"::ffff:10.1.2.3", dns.RcodeSuccess},
		{"::ffff:203.0.113.1", dns.RcodeRefused},
		{"10.1.2.3", dns.RcodeSuccess},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			w := &recorder{remote: &net.UDPAddr{IP: net.ParseIP(tt.src), Port: 5300}}
			edge.For("udp").ServeDNS(w, policyMsg("example.com.", dns.TypeA, true))
			if w.msg == nil || w.msg.Rcode != tt.want {
				t.Errorf("answer %v, want rcode %s", w.msg, dns.RcodeToString[tt.want])
			}
		})
	}
}
