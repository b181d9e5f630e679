package resolver

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/cache"
	"github.com/cleandns/cleandns/query"
)

func TestCacheLinkHit(t *testing.T) {
	env := newLinkEnv(t, nil, 300)
	if r := env.ask(t, newReq("www.example.com.", 1, false)); r.Result != query.Forwarded {
		t.Fatalf("first: %v", r.Result)
	}
	env.clock.Advance(100 * time.Second)
	r := env.ask(t, newReq("WWW.Example.com.", 0xbeef, false))
	if r.Result != query.Cached || env.next.calls.Load() != 1 {
		t.Fatalf("second: %v after %d calls", r.Result, env.next.calls.Load())
	}
	m := msgOf(t, r)
	if m.Id != 0xbeef || m.Question[0].Name != "WWW.Example.com." || ttlOf(r) != 200 {
		t.Errorf("hit: id %#x name %q ttl %d", m.Id, m.Question[0].Name, ttlOf(r))
	}
	env.clock.Advance(200 * time.Second)
	if r := env.ask(t, newReq("www.example.com.", 2, false)); r.Result != query.Forwarded || env.next.calls.Load() != 2 {
		t.Errorf("expired: %v after %d calls, want next asked again", r.Result, env.next.calls.Load())
	}
}

func TestCacheLinkStoresOnlyForwarded(t *testing.T) {
	for _, tc := range []struct {
		name      string
		res       query.Result
		ttl       uint32
		wantCalls int32
	}{
		{"forwarded", query.Forwarded, 300, 1},
		{"local", query.Local, 300, 2},
		{"blocked", query.Blocked, 300, 2},
		{"ttl 0", query.Forwarded, 0, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newLinkEnv(t, nil, tc.ttl)
			env.next.res.Store(int32(tc.res))
			env.ask(t, newReq("a.example.", 1, false))
			env.ask(t, newReq("a.example.", 2, false))
			if got := env.next.calls.Load(); got != tc.wantCalls {
				t.Errorf("next called %d times, want %d", got, tc.wantCalls)
			}
		})
	}
}

func TestCacheLinkDOKeyedApart(t *testing.T) {
	env := newLinkEnv(t, nil, 300)
	env.ask(t, newReq("a.example.", 1, false))
	if r := env.ask(t, newReq("a.example.", 2, true)); r.Result != query.Forwarded {
		t.Errorf("DO query answered from the non-DO entry")
	}
	if r := env.ask(t, newReq("a.example.", 3, true)); r.Result != query.Cached {
		t.Errorf("DO query not cached")
	}
}

func TestCacheLinkServeStale(t *testing.T) {
	for _, tc := range []struct {
		name    string
		seen    bool // the name was cached before
		fail    bool
		sfail   bool
		slow    bool
		wantErr bool
	}{
		{"upstream error", true, true, false, false, false},
		{"upstream SERVFAIL", true, false, true, false, false},
		{"upstream too slow", true, false, false, true, false},
		{"never seen", false, true, false, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newLinkEnv(t, nil, 60)
			if tc.seen {
				env.ask(t, newReq("s.example.", 1, false))
				env.clock.Advance(time.Hour)
			}
			env.next.fail.Store(tc.fail)
			env.next.sfail.Store(tc.sfail)
			if tc.slow {
				env.next.gate = make(chan struct{})
			}
			start := time.Now()
			r, err := env.link.Resolve(context.Background(), newReq("s.example.", 7, false), env.next)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("got %v, want next's error", r.Result)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Result != query.Cached || ttlOf(r) != cache.StaleTTL || r.EDE == nil || r.EDE.InfoCode != dns.ExtendedErrorCodeStaleAnswer {
				t.Errorf("got %v ttl %d EDE %v, want stale answer", r.Result, ttlOf(r), r.EDE)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %v, past the client timer", d)
			}
			if got := value(t, env.m.CacheStaleServed); got != 1 {
				t.Errorf("stale served %v", got)
			}
			if tc.slow { // the fetch carries on and refreshes the entry
				close(env.next.gate)
				env.link.Wait()
				if r := env.ask(t, newReq("s.example.", 8, false)); r.Result != query.Cached || ttlOf(r) != 60 {
					t.Errorf("after late answer: %v ttl %d", r.Result, ttlOf(r))
				}
			}
		})
	}
}

func TestCacheLinkFailureRecheck(t *testing.T) {
	env := newLinkEnv(t, nil, 60)
	env.ask(t, newReq("r.example.", 1, false))
	env.clock.Advance(2 * time.Minute)
	env.next.fail.Store(true)
	for i := range 5 {
		if r := env.ask(t, newReq("r.example.", 2, false)); r.EDE == nil {
			t.Fatalf("query %d not stale", i)
		}
		env.link.Wait()
		env.clock.Advance(5 * time.Second)
	}
	if got := env.next.calls.Load(); got != 2 {
		t.Errorf("next called %d times in 25 s of failure, want 2 (initial + one try)", got)
	}
	env.clock.Advance(10 * time.Second) // 30 s since the failure
	env.ask(t, newReq("r.example.", 3, false))
	env.link.Wait()
	if got := env.next.calls.Load(); got != 3 {
		t.Errorf("next called %d times, want a retry after the recheck timer", got)
	}
	env.next.fail.Store(false)
	env.clock.Advance(30 * time.Second)
	if r := env.ask(t, newReq("r.example.", 4, false)); r.Result != query.Forwarded {
		t.Errorf("after recovery: %v, want the fresh upstream answer", r.Result)
	}
}

func TestCacheLinkPrefetch(t *testing.T) {
	env := newLinkEnv(t, nil, 100)
	env.ask(t, newReq("hot.example.", 1, false))
	for range 3 {
		env.ask(t, newReq("hot.example.", 2, false))
	}
	env.clock.Advance(95 * time.Second)
	for i := range 5 {
		if r := env.ask(t, newReq("hot.example.", 3, false)); r.Result != query.Cached {
			t.Fatalf("query %d near expiry: %v, want a hit", i, r.Result)
		}
	}
	env.link.Wait()
	if got := env.next.calls.Load(); got != 2 {
		t.Errorf("next called %d times, want 1 + one prefetch", got)
	}
	if got := value(t, env.m.CachePrefetches); got != 1 {
		t.Errorf("prefetches %v", got)
	}
	env.clock.Advance(10 * time.Second) // past the old expiry
	if r := env.ask(t, newReq("hot.example.", 4, false)); r.Result != query.Cached || ttlOf(r) != 90 {
		t.Errorf("after prefetch: %v ttl %d, want the refreshed entry", r.Result, ttlOf(r))
	}
}

func TestCacheLinkConcurrent(t *testing.T) {
	env := newLinkEnv(t, func(c *cache.Config) { c.MaxBytes = 16 << 10 }, 30)
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Go(func() {
			for i := range 500 {
				req := newReq(fmt.Sprintf("n%d.example.", (g*7+i)%97), uint16(i), i%3 == 0)
				if _, err := env.link.Resolve(context.Background(), req, env.next); err != nil {
					t.Error(err)
					return
				}
				if i%50 == 0 {
					env.clock.Advance(time.Second)
				}
			}
		})
	}
	wg.Wait()
}

// TestCacheLinkFailureAfterConcurrentStore is the race TestInlineStress
// once hit: a query misses, another exchange for the same question stores a
// good answer, then this query's own exchange fails. The client gets the
// stored answer, and the failure does not replace it.
func TestCacheLinkFailureAfterConcurrentStore(t *testing.T) {
	for _, tc := range []struct {
		name        string
		fail, sfail bool
	}{
		{"upstream error", true, false},
		{"upstream SERVFAIL", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newLinkEnv(t, nil, 300)
			racing := HandlerFunc(func(ctx context.Context, req *query.Request) (*query.Response, error) {
				// The other exchange lands while this one is out.
				other := newReq(req.Name, 7, false)
				if r := env.ask(t, other); r.Result != query.Forwarded {
					t.Fatalf("other exchange: %v", r.Result)
				}
				env.next.fail.Store(tc.fail)
				env.next.sfail.Store(tc.sfail)
				return env.next.Resolve(ctx, req)
			})
			resp, err := env.link.Resolve(context.Background(), newReq("race.example.", 1, false), racing)
			if err != nil {
				t.Fatalf("error %v, want the stored answer", err)
			}
			if m := msgOf(t, resp); m.Rcode != dns.RcodeSuccess || len(m.Answer) != 1 || m.Id != 1 {
				t.Fatalf("got rcode %s, %d answers, id %d; want the stored answer with id 1", dns.RcodeToString[m.Rcode], len(m.Answer), m.Id)
			}
			if r := env.ask(t, newReq("race.example.", 2, false)); r.Result != query.Cached || msgOf(t, r).Rcode != dns.RcodeSuccess {
				t.Errorf("after the failure: %v %s, want the good answer still cached", r.Result, dns.RcodeToString[msgOf(t, r).Rcode])
			}
		})
	}
}
