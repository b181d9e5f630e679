package cache

import (
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestTTLDecreasesThenExpires(t *testing.T) {
	for _, tc := range []struct {
		name    string
		stale   bool
		after   time.Duration
		state   State
		wantTTL uint32
	}{
		{"fresh", true, 0, Fresh, 300},
		{"aged", true, 100 * time.Second, Fresh, 200},
		{"aged fraction", true, 100*time.Second + 900*time.Millisecond, Fresh, 200},
		{"last second", true, 299 * time.Second, Fresh, 1},
		{"expired, stale kept", true, 300 * time.Second, Stale, 0},
		{"expired, no serve-stale", false, 300 * time.Second, Miss, 0},
		{"past stale age", true, 300*time.Second + 24*time.Hour, Miss, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.ServeStale = tc.stale
			c, clk, _ := newTestCache(t, cfg)
			k := keyA("example.com.")
			mustSet(t, c, k, answer("example.com.", 300, 600))
			clk.Advance(tc.after)
			e, st := c.Get(k, clk.Now())
			if st != tc.state {
				t.Fatalf("state = %v, want %v", st, tc.state)
			}
			if st != Fresh {
				return
			}
			m := hit(t, e, 1, "example.com.", clk.Now())
			if got := m.Answer[0].Header().Ttl; got != tc.wantTTL {
				t.Errorf("TTL = %d, want %d", got, tc.wantTTL)
			}
			if got := m.Answer[1].Header().Ttl; got != tc.wantTTL+300 {
				t.Errorf("second TTL = %d, want %d", got, tc.wantTTL+300)
			}
		})
	}
}

func TestTTLClamps(t *testing.T) {
	for _, tc := range []struct {
		name          string
		min, max      time.Duration
		ttl           uint32
		wantTTL       uint32
		freshAfterTTL bool
	}{
		{"within", 0, time.Hour, 300, 300, false},
		{"raised to min", time.Minute, time.Hour, 10, 60, true},
		{"capped at max", 0, time.Minute, 3600, 60, false},
		{"zero not cached", 0, time.Hour, 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.MinTTL, cfg.MaxTTL = tc.min, tc.max
			c, clk, _ := newTestCache(t, cfg)
			k := keyA("a.example.")
			ok, err := c.Set(k, answer("a.example.", tc.ttl))
			if err != nil || ok != (tc.wantTTL > 0) {
				t.Fatalf("Set = %v, %v", ok, err)
			}
			if !ok {
				return
			}
			e, _ := c.Get(k, clk.Now())
			if got := hit(t, e, 1, "a.example.", clk.Now()).Answer[0].Header().Ttl; got != tc.wantTTL {
				t.Errorf("TTL = %d, want %d", got, tc.wantTTL)
			}
			clk.Advance(time.Duration(tc.ttl) * time.Second)
			if _, st := c.Get(k, clk.Now()); (st == Fresh) != tc.freshAfterTTL {
				t.Errorf("after upstream TTL state = %v", st)
			}
		})
	}
}

func TestNegativeTTL(t *testing.T) {
	for _, tc := range []struct {
		name         string
		rcode        int
		soaTTL, mini uint32
		capTTL       time.Duration
		want         uint32 // 0: not cached
	}{
		{"nxdomain minimum smaller", dns.RcodeNameError, 3600, 300, time.Hour, 300},
		{"nxdomain soa ttl smaller", dns.RcodeNameError, 60, 300, time.Hour, 60},
		{"nodata", dns.RcodeSuccess, 900, 900, time.Hour, 900},
		{"capped", dns.RcodeNameError, 86400, 86400, time.Hour, 3600},
		{"no soa not cached", dns.RcodeNameError, 0, 0, time.Hour, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.NegativeMaxTTL = tc.capTTL
			c, clk, _ := newTestCache(t, cfg)
			k := keyA("nx.example.")
			ok, err := c.Set(k, negative("nx.example.", tc.rcode, tc.soaTTL, tc.mini))
			if err != nil || ok != (tc.want > 0) {
				t.Fatalf("Set = %v, %v", ok, err)
			}
			if !ok {
				return
			}
			e, _ := c.Get(k, clk.Now())
			m := hit(t, e, 1, "nx.example.", clk.Now())
			if m.Rcode != tc.rcode || m.Ns[0].Header().Ttl != tc.want {
				t.Errorf("rcode %d SOA TTL %d, want %d %d", m.Rcode, m.Ns[0].Header().Ttl, tc.rcode, tc.want)
			}
			clk.Advance(time.Duration(tc.want)*time.Second - time.Nanosecond)
			if _, st := c.Get(k, clk.Now()); st != Fresh {
				t.Errorf("just before expiry: %v", st)
			}
			clk.Advance(time.Nanosecond)
			if _, st := c.Get(k, clk.Now()); st == Fresh {
				t.Errorf("at expiry: still fresh")
			}
		})
	}
}

func TestServfailCachedBriefly(t *testing.T) {
	c, clk, _ := newTestCache(t, testConfig())
	k := keyA("fail.example.")
	mustSet(t, c, k, new(dns.Msg).SetRcode(new(dns.Msg).SetQuestion("fail.example.", dns.TypeA), dns.RcodeServerFailure))
	if e, st := c.Get(k, clk.Now()); st != Fresh || e.Kind() != Failure {
		t.Fatalf("state %v", st)
	}
	clk.Advance(DefaultServfailTTL)
	if _, st := c.Get(k, clk.Now()); st != Miss {
		t.Errorf("expired SERVFAIL: %v, want Miss (never served stale)", st)
	}
}

func TestNotCached(t *testing.T) {
	tc := answer("t.example.", 300)
	tc.Truncated = true
	refused := answer("r.example.")
	refused.Rcode = dns.RcodeRefused
	for name, m := range map[string]*dns.Msg{"truncated": tc, "refused": refused} {
		t.Run(name, func(t *testing.T) {
			c, _, _ := newTestCache(t, testConfig())
			if ok, err := c.Set(keyA(m.Question[0].Name), m); ok || err != nil {
				t.Errorf("Set = %v, %v; want not stored", ok, err)
			}
		})
	}
}
