package resolver

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/internal/fakeclock"
	"github.com/cleandns/cleandns/policy"
	"github.com/cleandns/cleandns/query"
)

func newRateLimitLink(t *testing.T, cfg policy.RateLimitConfig) (*RateLimitLink, *fakeclock.Clock) {
	t.Helper()
	clk := fakeclock.New(time.Unix(1_700_000_000, 0))
	l, err := policy.NewLimiter(cfg, policy.LimiterDeps{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return NewRateLimitLink(l), clk
}

func TestRateLimitLink(t *testing.T) {
	link, clk := newRateLimitLink(t, policy.RateLimitConfig{QPS: 1, Burst: 2, Slip: 2, Exempt: []string{"10.9.0.0/16"}})
	tests := []struct {
		name, protocol, client string
		wantResult             query.Result
		wantTC                 bool
	}{
		{"first in burst", "udp", "10.0.0.1", query.Forwarded, false},
		{"second in burst", "udp", "10.0.0.1", query.Forwarded, false},
		{"limited, dropped", "udp", "10.0.0.1", query.RateLimited, false},
		{"limited, slipped", "udp", "10.0.0.1", query.RateLimited, true},
		{"limited, dropped again", "udp", "10.0.0.1", query.RateLimited, false},
		{"tcp always passes", "tcp", "10.0.0.1", query.Forwarded, false},
		{"another client passes", "udp", "10.0.0.2", query.Forwarded, false},
		{"exempt passes", "udp", "10.9.1.1", query.Forwarded, false},
		{"exempt passes again", "udp", "10.9.1.1", query.Forwarded, false},
		{"exempt passes a third time", "udp", "10.9.1.1", query.Forwarded, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := &countingUpstream{}
			resp, err := link.Resolve(context.Background(), policyReq("example.com.", dns.TypeA, tt.protocol, tt.client), next)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Result != tt.wantResult {
				t.Fatalf("result %v, want %v", resp.Result, tt.wantResult)
			}
			if tt.wantResult == query.Forwarded {
				return
			}
			if next.n.Load() != 0 || resp.Reason != "ratelimit" {
				t.Errorf("limited query reached next (%d) or reason %q", next.n.Load(), resp.Reason)
			}
			if tt.wantTC && (resp.Msg == nil || !resp.Msg.Truncated || len(resp.Msg.Answer) != 0) {
				t.Errorf("slip answer %v, want an empty TC=1 reply", resp.Msg)
			}
			if !tt.wantTC && resp.Msg != nil {
				t.Errorf("drop carries a message: %v", resp.Msg)
			}
		})
	}
	clk.Advance(time.Second)
	resp, _ := link.Resolve(context.Background(), policyReq("example.com.", dns.TypeA, "udp", "10.0.0.1"), &countingUpstream{})
	if resp.Result != query.Forwarded {
		t.Errorf("after a second at 1 qps: %v, want a refilled token", resp.Result)
	}
}

// TestRateLimitClientID: a device with a client ID has its own bucket on
// every protocol, and is refused (not dropped) when over it.
func TestRateLimitClientID(t *testing.T) {
	link, _ := newRateLimitLink(t, policy.RateLimitConfig{QPS: 1, Burst: 1, Exempt: []string{"10.9.0.0/16"}})
	tests := []struct {
		name, protocol, client, id string
		want                       query.Result
	}{
		{"first", "doh", "10.0.0.1", "annas-phone", query.Forwarded},
		{"over, from another address", "dot", "10.0.0.2", "annas-phone", query.RateLimited},
		{"another device behind the same address", "doh", "10.0.0.1", "toms-phone", query.Forwarded},
		{"exempt network", "doq", "10.9.0.1", "annas-phone", query.Forwarded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := policyReq("example.com.", dns.TypeA, tt.protocol, tt.client)
			req.ClientID = tt.id
			resp, err := link.Resolve(context.Background(), req, &countingUpstream{})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Result != tt.want {
				t.Fatalf("result %v, want %v", resp.Result, tt.want)
			}
			if tt.want == query.RateLimited && (resp.Msg == nil || resp.Msg.Rcode != dns.RcodeRefused) {
				t.Errorf("limited answer %v, want REFUSED", resp.Msg)
			}
		})
	}
}

// TestRateLimitFloodOverSockets floods from 127.0.0.2 (loopback not exempt)
// with the clock stopped: exactly the burst is answered, half the rest slip
// (TC=1) and half are dropped, while 127.0.0.3 and TCP from the flooder are
// still answered.
func TestRateLimitFloodOverSockets(t *testing.T) {
	const burst, flood = 5, 45
	link, _ := newRateLimitLink(t, policy.RateLimitConfig{QPS: 1, Burst: burst, Slip: 2})
	next := &countingUpstream{}
	addr := serveEdge(t, Build(Parts{RateLimit: link, Forward: next}))

	raddr, _ := net.ResolveUDPAddr("udp", addr)
	conn, err := net.DialUDP("udp", &net.UDPAddr{IP: net.ParseIP("127.0.0.2")}, raddr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for i := 0; i < flood; i++ {
		q := policyMsg("flood.example.", dns.TypeA, false)
		q.Id = uint16(i + 1)
		b, _ := q.Pack()
		if _, err := conn.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	answered, slipped := 0, 0
	buf := make([]byte, 1232)
	_ = conn.SetReadDeadline(time.Now().Add(time.Second))
	for answered+slipped < burst+(flood-burst)/2 {
		n, err := conn.Read(buf)
		if err != nil {
			break
		}
		r := new(dns.Msg)
		if err := r.Unpack(buf[:n]); err != nil {
			t.Fatal(err)
		}
		if r.Truncated && len(r.Answer) == 0 {
			slipped++
		} else if len(r.Answer) == 1 {
			answered++
		}
	}
	// Anything else arriving now would be an answer to a dropped query.
	_ = conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := conn.Read(buf); err == nil {
		t.Error("more answers than burst plus slips: some limited query was answered")
	}
	if answered != burst || slipped != (flood-burst)/2 {
		t.Errorf("answered %d, slipped %d; want %d and %d (and %d dropped)", answered, slipped, burst, (flood-burst)/2, (flood-burst)/2)
	}
	if r := mustAskFrom(t, "udp", "127.0.0.3", addr, policyMsg("other.example.", dns.TypeA, true)); len(r.Answer) != 1 || r.Truncated {
		t.Errorf("another client during the flood: %v", r)
	}
	if r := mustAskFrom(t, "tcp", "127.0.0.2", addr, policyMsg("flood.example.", dns.TypeA, true)); len(r.Answer) != 1 {
		t.Errorf("TCP from the flooder: %v", r)
	}
	if n := next.n.Load(); n != burst+2 {
		t.Errorf("next saw %d queries, want %d", n, burst+2)
	}
}
