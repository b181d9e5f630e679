package upstream

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/internal/dnstest"
	"github.com/cleandns/cleandns/internal/fakeclock"
)

func TestBootstrapCachesForTTLAndReresolves(t *testing.T) {
	var queries atomic.Int64
	var answer atomic.Value
	answer.Store("127.0.0.1")
	var down atomic.Bool
	boot := dnstest.NewServer(t, func(w dns.ResponseWriter, r *dns.Msg) {
		if down.Load() {
			_ = w.WriteMsg(new(dns.Msg).SetRcode(r, dns.RcodeServerFailure))
			return
		}
		m := new(dns.Msg).SetReply(r)
		switch r.Question[0].Qtype {
		case dns.TypeA:
			rr, _ := dns.NewRR("dns.test. 300 IN CNAME real.test.")
			rr2, _ := dns.NewRR("real.test. 60 IN A " + answer.Load().(string))
			m.Answer = append(m.Answer, rr, rr2)
		case dns.TypeAAAA:
			rr, _ := dns.NewRR("dns.test. 120 IN AAAA ::1")
			m.Answer = append(m.Answer, rr)
		}
		_ = w.WriteMsg(m)
	}, dnstest.Count(&queries))
	clock := fakeclock.New(time.Unix(1e9, 0))
	b, err := newBootstrap([]string{dnstest.ClosedAddr(t), boot}, 200*time.Millisecond, clock.Now, testPools(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	lookup := func() string {
		t.Helper()
		addrs, _, err := b.lookup(ctx, "dns.test")
		if err != nil {
			t.Fatal(err)
		}
		if len(addrs) != 2 || addrs[1].String() != "::1" {
			t.Fatalf("addrs %v, want the A then the AAAA", addrs)
		}
		return addrs[0].String()
	}
	steps := []struct {
		name    string
		advance time.Duration
		change  func()
		want    string
		queries int64 // bootstrap queries so far (A and AAAA per resolution)
	}{
		{"first lookup resolves", 0, nil, "127.0.0.1", 2},
		{"within TTL from cache", 59 * time.Second, func() { answer.Store("127.0.0.2") }, "127.0.0.1", 2},
		{"after the lowest TTL re-resolves", 2 * time.Second, nil, "127.0.0.2", 4},
		{"stale kept when bootstrap fails", 61 * time.Second, func() { down.Store(true) }, "127.0.0.2", 6},
		{"stale not re-asked at once", 4 * time.Second, nil, "127.0.0.2", 6},
		{"then asked again", 2 * time.Second, func() { down.Store(false); answer.Store("127.0.0.3") }, "127.0.0.3", 8},
	}
	for _, s := range steps {
		clock.Advance(s.advance)
		if s.change != nil {
			s.change()
		}
		if got := lookup(); got != s.want {
			t.Errorf("%s: got %s, want %s", s.name, got, s.want)
		}
		if got := queries.Load(); got != s.queries {
			t.Errorf("%s: %d bootstrap queries, want %d", s.name, got, s.queries)
		}
	}
}

func TestBootstrapFailsWithoutServers(t *testing.T) {
	b, err := newBootstrap(nil, time.Second, time.Now, testPools(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.lookup(context.Background(), "dns.test"); err == nil {
		t.Fatal("want an error: the system resolver must never be used")
	}
}
