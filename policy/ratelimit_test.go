package policy

import (
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cleandns/cleandns/internal/fakeclock"
)

func newTestLimiter(t testing.TB, cfg RateLimitConfig, max int) (*Limiter, *fakeclock.Clock) {
	t.Helper()
	c := fakeclock.New(time.Unix(1_700_000_000, 0))
	l, err := NewLimiter(cfg, LimiterDeps{Now: c.Now, MaxClients: max})
	if err != nil {
		t.Fatal(err)
	}
	return l, c
}

func count(l *Limiter, addr netip.Addr, n int) map[Verdict]int {
	got := map[Verdict]int{}
	for i := 0; i < n; i++ {
		got[l.Allow(addr)]++
	}
	return got
}

func TestLimiterBurstThenSlipAndDrop(t *testing.T) {
	tests := []struct {
		slip               int
		wantSlip, wantDrop int
		afterSecond        int // allowed after one second
	}{
		{slip: 0, wantSlip: 0, wantDrop: 90, afterSecond: 5},
		{slip: 1, wantSlip: 90, wantDrop: 0, afterSecond: 5},
		{slip: 2, wantSlip: 45, wantDrop: 45, afterSecond: 5},
		{slip: 3, wantSlip: 30, wantDrop: 60, afterSecond: 5},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("slip=%d", tt.slip), func(t *testing.T) {
			l, c := newTestLimiter(t, RateLimitConfig{QPS: 5, Burst: 10, Slip: tt.slip}, 0)
			flooder := netip.MustParseAddr("192.0.2.1")
			got := count(l, flooder, 100)
			if got[Allow] != 10 || got[Slip] != tt.wantSlip || got[Drop] != tt.wantDrop {
				t.Errorf("verdicts = %v, want 10 allowed, %d slipped, %d dropped", got, tt.wantSlip, tt.wantDrop)
			}
			if v := l.Allow(netip.MustParseAddr("192.0.2.2")); v != Allow {
				t.Errorf("another client got %v", v)
			}
			c.Advance(time.Second)
			if got := count(l, flooder, 20); got[Allow] != tt.afterSecond {
				t.Errorf("after 1s at 5 qps: %d allowed, want %d", got[Allow], tt.afterSecond)
			}
			c.Advance(time.Hour) // refills to burst, never beyond
			if got := count(l, flooder, 20); got[Allow] != 10 {
				t.Errorf("after an hour: %d allowed, want the burst of 10", got[Allow])
			}
		})
	}
}

func TestLimiterClientKeys(t *testing.T) {
	l, _ := newTestLimiter(t, RateLimitConfig{QPS: 1, Burst: 1, Exempt: []string{"127.0.0.0/8", "2001:db8:ffff::/48"}}, 0)
	tests := []struct {
		name    string
		first   string
		second  string
		limited bool // whether the second shares the first's bucket
	}{
		{"same IPv4", "192.0.2.1", "192.0.2.1", true},
		{"IPv4 neighbours apart", "192.0.2.3", "192.0.2.4", false},
		{"mapped is its IPv4", "192.0.2.5", "::ffff:192.0.2.5", true},
		{"same IPv6 /56", "2001:db8:0:100::1", "2001:db8:0:1ff:ffff::9", true},
		{"next IPv6 /56 apart", "2001:db8:0:200::1", "2001:db8:0:300::1", false},
		{"IPv4 and ::/56 apart", "0.0.0.1", "::1:2", false},
		{"exempt IPv4", "127.0.0.1", "127.0.0.1", false},
		{"exempt IPv6", "2001:db8:ffff::1", "2001:db8:ffff::1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if v := l.Allow(netip.MustParseAddr(tt.first)); v != Allow {
				t.Fatalf("first query: %v", v)
			}
			if got := l.Allow(netip.MustParseAddr(tt.second)) != Allow; got != tt.limited {
				t.Errorf("second limited = %v, want %v", got, tt.limited)
			}
		})
	}
}

func TestLimiterTableBounded(t *testing.T) {
	const max = shardCount * 4
	l, c := newTestLimiter(t, RateLimitConfig{QPS: 1, Burst: 2}, max)
	for i := 0; i < 20*max; i++ {
		l.Allow(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}))
		if i%max == 0 {
			c.Advance(100 * time.Millisecond)
		}
	}
	if n := l.Clients(); n > max {
		t.Errorf("%d buckets held, bound is %d", n, max)
	}
}

func TestLimiterSweepsIdleBeforeActive(t *testing.T) {
	l, c := newTestLimiter(t, RateLimitConfig{QPS: 1, Burst: 2}, shardCount*4)
	active := netip.MustParseAddr("192.0.2.1")
	// Four more clients that land in active's shard.
	var same []netip.Addr
	for i := 0; len(same) < 4; i++ {
		a := netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
		if l.shardOf(a) == l.shardOf(active) {
			same = append(same, a)
		}
	}
	for _, a := range same[:3] {
		l.Allow(a)
	}
	c.Advance(time.Minute) // the three are idle now: refilled
	l.Allow(active)
	l.Allow(active) // the shard is full, active's bucket empty
	l.Allow(same[3])
	if v := l.Allow(active); v == Allow {
		t.Error("active client lost its bucket to a newcomer while idle ones were there")
	}
	if n := len(l.shardOf(active).buckets); n != 2 {
		t.Errorf("shard holds %d buckets, want active and the newcomer", n)
	}
}

func TestRateLimitConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  RateLimitConfig
		want string
	}{
		{"defaults", DefaultRateLimitConfig(), ""},
		{"disabled ignores zero qps", RateLimitConfig{}, ""},
		{"zero qps", RateLimitConfig{Enabled: true, Burst: 1}, "ratelimit.qps"},
		{"zero burst", RateLimitConfig{Enabled: true, QPS: 1}, "ratelimit.burst"},
		{"negative slip", RateLimitConfig{Enabled: true, QPS: 1, Burst: 1, Slip: -1}, "ratelimit.slip"},
		{"bad exempt", RateLimitConfig{Exempt: []string{"10.0.0.0/8", "nope"}}, "ratelimit.exempt[1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestLimiterConcurrent(t *testing.T) {
	l, _ := newTestLimiter(t, RateLimitConfig{QPS: 1, Burst: 100}, 0)
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := 0
			for i := 0; i < 1000; i++ {
				if l.Allow(netip.MustParseAddr("192.0.2.1")) == Allow {
					n++
				}
			}
			mu.Lock()
			allowed += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	if allowed != 100 {
		t.Errorf("%d allowed across goroutines, want exactly the burst of 100", allowed)
	}
}

func BenchmarkLimiterAllow(b *testing.B) {
	l, err := NewLimiter(RateLimitConfig{QPS: 1e9, Burst: 1 << 30}, LimiterDeps{})
	if err != nil {
		b.Fatal(err)
	}
	addrs := make([]netip.Addr, 1024)
	for i := range addrs {
		addrs[i] = netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			l.Allow(addrs[i%len(addrs)])
			i++
		}
	})
}

func (l *Limiter) shardOf(a netip.Addr) *shard { return l.shard(clientKey(a)) }
