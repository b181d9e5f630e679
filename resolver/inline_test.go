package resolver

import (
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/zap"

	"github.com/cleandns/cleandns/policy"
)

// TestServeInlineResumesMisses checks a miss stops at ErrWouldBlock inline
// and is answered when resumed, with its side effects applied once: one
// rate-limit token and one cache miss per query.
func TestServeInlineResumesMisses(t *testing.T) {
	env := newLinkEnv(t, nil, 300)
	lim, err := policy.NewLimiter(policy.RateLimitConfig{QPS: 0.001, Burst: 3, Slip: 1}, policy.LimiterDeps{})
	if err != nil {
		t.Fatal(err)
	}
	edge := NewEdge(EdgeConfig{}, Build(Parts{RateLimit: NewRateLimitLink(lim), Cache: env.link, Forward: env.next}), env.m, zap.NewNop())
	client := netip.MustParseAddr("192.0.2.99")
	serve := func(name string) (resumed bool, out *dns.Msg) {
		t.Helper()
		q := new(dns.Msg).SetQuestion(name, dns.TypeA)
		var sent []byte
		resume := edge.ServeInline(q, client, 0, time.Time{}, make([]byte, 0, 512), func(b []byte) error { sent = append([]byte(nil), b...); return nil })
		if resume != nil {
			if sent != nil {
				t.Fatalf("%s: sent %x and asked to resume", name, sent)
			}
			w := &captureWriter{}
			resume(w)
			sent = w.out
		}
		out = new(dns.Msg)
		if err := out.Unpack(sent); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return resume != nil, out
	}
	// Three queries fit the burst only if each takes one token.
	for i, tc := range []struct {
		name    string
		resumed bool
	}{{"a.example.", true}, {"b.example.", true}, {"a.example.", false}} {
		resumed, out := serve(tc.name)
		if resumed != tc.resumed || out.Rcode != dns.RcodeSuccess || len(out.Answer) != 1 {
			t.Errorf("query %d %s: resumed %v, want %v; answer %v", i, tc.name, resumed, tc.resumed, out)
		}
	}
	if _, out := serve("a.example."); !out.Truncated || len(out.Answer) != 0 {
		t.Errorf("fourth query: %v, want a slip", out)
	}
	if got := value(t, env.m.CacheMisses); got != 2 {
		t.Errorf("cache misses %v, want 2", got)
	}
	if got := env.next.calls.Load(); got != 2 {
		t.Errorf("upstream asked %d times, want 2", got)
	}
}

// TestServeInlineStale checks an expired entry whose refresh is due is
// resumed (the wait for upstream is not done inline), and served stale
// inline while the failure-recheck timer runs.
func TestServeInlineStale(t *testing.T) {
	env := newLinkEnv(t, nil, 60)
	edge := NewEdge(EdgeConfig{}, Build(Parts{Cache: env.link, Forward: env.next}), env.m, zap.NewNop())
	q := new(dns.Msg).SetQuestion("s.example.", dns.TypeA)
	q.SetEdns0(1232, false)
	client := netip.MustParseAddr("127.0.0.1")
	edge.For("udp").ServeDNS(&captureWriter{}, q.Copy()) // stores the answer
	env.clock.Advance(120 * time.Second)
	env.next.fail.Store(true)
	resume := edge.ServeInline(q.Copy(), client, 0, time.Time{}, nil, func([]byte) error { return nil })
	if resume == nil {
		t.Fatal("an expired entry due for refresh was answered inline")
	}
	w := &captureWriter{}
	resume(w) // refresh fails: stale, and the recheck timer starts
	env.link.Wait()
	var sent []byte
	if edge.ServeInline(q.Copy(), client, 0, time.Time{}, make([]byte, 0, 512), func(b []byte) error { sent = b; return nil }) != nil {
		t.Fatal("stale answer within the recheck timer was not answered inline")
	}
	for _, b := range [][]byte{w.out, sent} {
		m := new(dns.Msg)
		if err := m.Unpack(b); err != nil || len(m.Answer) != 1 || m.Answer[0].Header().Ttl != 30 {
			t.Errorf("stale answer %v, %v", m, err)
		}
	}
}
