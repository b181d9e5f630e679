package resolver

import (
	"context"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/zap"

	"github.com/cleandns/cleandns/policy"
	"github.com/cleandns/cleandns/query"
)

// countLink passes every query on and counts, once per query it should,
// both its way in and (through Then) its way back.
type countLink struct{ in, back atomic.Int32 }

func (c *countLink) Resolve(ctx context.Context, req *query.Request, next Handler) (*query.Response, error) {
	c.in.Add(1)
	return Then(ctx, req, next, c)
}

func (c *countLink) Continue(_ context.Context, _ *query.Request, resp *query.Response, err error) (*query.Response, error) {
	c.back.Add(1)
	return resp, err
}

// countRecorder counts the records the edge hands the query log.
type countRecorder struct{ n atomic.Int32 }

func (r *countRecorder) Record(*query.Request, *query.Response, int, time.Duration) { r.n.Add(1) }

// askInline serves q as the UDP loop does: inline, then, if the edge says
// so, resumed. It reports whether it was resumed.
func askInline(t *testing.T, edge *Edge, q *dns.Msg) (resumed bool, out *dns.Msg) {
	t.Helper()
	var sent []byte
	resume := edge.ServeInline(q, netip.MustParseAddr("192.0.2.7"), 0, time.Time{}, make([]byte, 0, 512),
		func(b []byte) error { sent = append([]byte(nil), b...); return nil })
	if resume != nil {
		w := &captureWriter{}
		resume(w)
		sent = w.out
	}
	out = new(dns.Msg)
	if err := out.Unpack(sent); err != nil {
		t.Fatalf("%s: %v", q.Question[0].Name, err)
	}
	return resume != nil, out
}

// TestEveryLinkRunsOncePerQuery puts a counting link in every slot of the
// pipeline. A miss runs inline up to the stop and is resumed there: every
// link still sees it once on the way in and once on the way back, and the
// forwarder once, exactly as a query that never ran inline.
func TestEveryLinkRunsOncePerQuery(t *testing.T) {
	for _, tt := range []struct {
		name   string
		inline bool
	}{{"inline then resumed", true}, {"on its own goroutine", false}} {
		t.Run(tt.name, func(t *testing.T) {
			links := make([]*countLink, 12)
			for i := range links {
				links[i] = &countLink{}
			}
			fwd := newFakeNext(300)
			l := links
			edge := NewEdge(EdgeConfig{}, Build(Parts{
				Loop: l[0], Access: l[1], RateLimit: l[2], Group: l[3], Special: l[4], Local: l[5],
				Block: l[6], ResponseFilter: l[7], Any: l[8], Cache: l[9], Dedup: l[10], Validate: l[11], Forward: fwd,
			}), newLinkEnv(t, nil, 300).m, zap.NewNop())
			q := new(dns.Msg).SetQuestion("miss.example.", dns.TypeA)
			if tt.inline {
				if resumed, out := askInline(t, edge, q); !resumed || len(out.Answer) != 1 {
					t.Fatalf("resumed %v, answer %v", resumed, out)
				}
			} else {
				w := &captureWriter{}
				edge.For(query.ProtoUDP).ServeDNS(w, q)
			}
			for i, c := range links {
				if c.in.Load() != 1 || c.back.Load() != 1 {
					t.Errorf("link %d ran %d times in and %d times back, want once each", i, c.in.Load(), c.back.Load())
				}
			}
			if fwd.calls.Load() != 1 {
				t.Errorf("forwarded %d times, want once", fwd.calls.Load())
			}
		})
	}
}

// TestSideEffectsOncePerResumedQuery runs the real links that count: each
// query, inline or resumed, takes one rate-limit token, counts one cache
// lookup and one queries_total, and gives the query log one record.
func TestSideEffectsOncePerResumedQuery(t *testing.T) {
	env := newLinkEnv(t, nil, 300)
	lim, err := policy.NewLimiter(policy.RateLimitConfig{QPS: 0.001, Burst: 4, Slip: 1}, policy.LimiterDeps{})
	if err != nil {
		t.Fatal(err)
	}
	edge := NewEdge(EdgeConfig{}, Build(Parts{RateLimit: NewRateLimitLink(lim), Cache: env.link, Forward: env.next}), env.m, zap.NewNop())
	rec := &countRecorder{}
	edge.SetRecorder(rec)
	names := []string{"a.example.", "b.example.", "a.example.", "b.example."} // two misses, two hits
	for i, name := range names {
		resumed, out := askInline(t, edge, new(dns.Msg).SetQuestion(name, dns.TypeA))
		if resumed != (i < 2) || len(out.Answer) != 1 {
			t.Errorf("query %d %s: resumed %v, answer %v", i, name, resumed, out)
		}
	}
	// Four tokens for four queries: the fifth finds the bucket empty.
	if _, out := askInline(t, edge, new(dns.Msg).SetQuestion("c.example.", dns.TypeA)); !out.Truncated {
		t.Errorf("fifth query %v, want a slip: a resumed query took a second token", out)
	}
	for _, c := range []struct {
		what      string
		got, want float64
	}{
		{"cache misses", value(t, env.m.CacheMisses), 2},
		{"cache hits", value(t, env.m.CacheHits), 2},
		{"forwarded queries", value(t, env.m.Queries.WithLabelValues("udp", "A", "forwarded")), 2},
		{"cached queries", value(t, env.m.Queries.WithLabelValues("udp", "A", "cached")), 2},
		{"query log records", float64(rec.n.Load()), 5},
		{"upstream exchanges", float64(env.next.calls.Load()), 2},
	} {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.what, c.got, c.want)
		}
	}
}

// TestStaleRefreshOncePerResumedQuery: an expired entry due for a refresh
// suspends inline; resumed, it refreshes once, and the stale answer goes out
// when the refresh fails.
func TestStaleRefreshOncePerResumedQuery(t *testing.T) {
	env := newLinkEnv(t, nil, 60)
	edge := NewEdge(EdgeConfig{}, Build(Parts{Cache: env.link, Forward: env.next}), env.m, zap.NewNop())
	q := new(dns.Msg).SetQuestion("s.example.", dns.TypeA)
	askInline(t, edge, q.Copy()) // stores the answer
	env.clock.Advance(120 * time.Second)
	env.next.fail.Store(true)
	before := env.next.calls.Load()
	resumed, out := askInline(t, edge, q.Copy())
	env.link.Wait()
	if !resumed || len(out.Answer) != 1 || out.Answer[0].Header().Ttl != 30 {
		t.Errorf("resumed %v, answer %v: want the stale answer", resumed, out)
	}
	if n := env.next.calls.Load() - before; n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
	if got := value(t, env.m.CacheStaleServed); got != 1 {
		t.Errorf("stale served %v times, want 1", got)
	}
}

// panicNext panics on every call: a bug in what a link's goroutine runs.
type panicNext struct{}

func (panicNext) Resolve(context.Context, *query.Request) (*query.Response, error) {
	panic("bug in the forwarder")
}

// TestPanicInALinksGoroutineIsRecovered: the stale refresh runs outside the
// query's goroutine; a panic there is recovered and counted, the stale
// answer still goes out, and the process lives.
func TestPanicInALinksGoroutineIsRecovered(t *testing.T) {
	env := newLinkEnv(t, nil, 60)
	q := new(dns.Msg).SetQuestion("p.example.", dns.TypeA)
	NewEdge(EdgeConfig{}, Build(Parts{Cache: env.link, Forward: env.next}), env.m, zap.NewNop()).For(query.ProtoUDP).ServeDNS(&captureWriter{}, q.Copy())
	env.clock.Advance(120 * time.Second)
	edge := NewEdge(EdgeConfig{}, Build(Parts{Cache: env.link, Forward: panicNext{}}), env.m, zap.NewNop())
	resumed, out := askInline(t, edge, q.Copy())
	env.link.Wait()
	if !resumed || len(out.Answer) != 1 {
		t.Errorf("resumed %v, answer %v: want the stale answer", resumed, out)
	}
	if got := value(t, env.m.PanicsRecovered.WithLabelValues("background")); got != 1 {
		t.Errorf("background panics recovered %v, want 1", got)
	}
	if got := value(t, env.m.PanicsRecovered.WithLabelValues("pipeline")); got != 0 {
		t.Errorf("pipeline panics %v, want 0", got)
	}
}
