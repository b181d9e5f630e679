package cache

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestKeyedApart(t *testing.T) {
	c, clk, _ := newTestCache(t, testConfig())
	plain := NewKey("Example.COM.", dns.TypeA, dns.ClassINET, false, false)
	mustSet(t, c, plain, answer("example.com.", 300))
	for _, tc := range []struct {
		name string
		k    Key
		want State
	}{
		{"same, other case", NewKey("eXample.com.", dns.TypeA, dns.ClassINET, false, false), Fresh},
		{"DO", NewKey("example.com.", dns.TypeA, dns.ClassINET, true, false), Miss},
		{"CD", NewKey("example.com.", dns.TypeA, dns.ClassINET, false, true), Miss},
		{"type", NewKey("example.com.", dns.TypeAAAA, dns.ClassINET, false, false), Miss},
		{"class", NewKey("example.com.", dns.TypeA, dns.ClassCHAOS, false, false), Miss},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, st := c.Get(tc.k, clk.Now()); st != tc.want {
				t.Errorf("state %v, want %v", st, tc.want)
			}
		})
	}
}

func TestHitKeepsClientIDAndCase(t *testing.T) {
	c, clk, _ := newTestCache(t, testConfig())
	k := keyA("www.example.com.")
	up := answer("www.example.com.", 300)
	up.Answer = append([]dns.RR{&dns.CNAME{
		Hdr:    dns.RR_Header{Name: "www.example.com.", Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 300},
		Target: "Edge.CDN.example.net.",
	}}, up.Answer...)
	mustSet(t, c, k, up)
	e, _ := c.Get(k, clk.Now())
	for _, tc := range []struct {
		id    uint16
		qname string
		want  string
	}{
		{0x1234, "WwW.ExAmPlE.cOm.", "WwW.ExAmPlE.cOm."},
		{0xffff, "www.example.com.", "www.example.com."},
		{7, `www\.example.com.`, "www.example.com."}, // escapes keep the stored spelling
	} {
		m := hit(t, e, tc.id, tc.qname, clk.Now())
		if m.Id != tc.id || m.Question[0].Name != tc.want {
			t.Errorf("%q: id %#x name %q, want %#x %q", tc.qname, m.Id, m.Question[0].Name, tc.id, tc.want)
		}
	}
	if got := e.Targets(); len(got) != 1 || got[0] != "edge.cdn.example.net." {
		t.Errorf("Targets = %q", got)
	}
}

func TestOPTTTLUntouched(t *testing.T) {
	c, clk, _ := newTestCache(t, testConfig())
	k := NewKey("example.com.", dns.TypeA, dns.ClassINET, true, false)
	up := answer("example.com.", 300)
	up.SetEdns0(1232, true)
	opt := up.IsEdns0()
	opt.SetExtendedRcode(0)
	want := opt.Hdr.Ttl
	mustSet(t, c, k, up)
	clk.Advance(100 * time.Second)
	e, _ := c.Get(k, clk.Now())
	for _, stale := range []bool{false, true} {
		var wire []byte
		if stale {
			wire = e.AppendStale(nil, 1, "example.com.")
		} else {
			wire = e.AppendWire(nil, 1, "example.com.", clk.Now())
		}
		m := new(dns.Msg)
		if err := m.Unpack(wire); err != nil {
			t.Fatal(err)
		}
		if o := m.IsEdns0(); o == nil || o.Hdr.Ttl != want || !o.Do() {
			t.Errorf("stale=%v: OPT %v, want TTL field %#x with DO", stale, o, want)
		}
		if wantTTL := map[bool]uint32{false: 200, true: StaleTTL}[stale]; m.Answer[0].Header().Ttl != wantTTL {
			t.Errorf("stale=%v: A TTL %d, want %d", stale, m.Answer[0].Header().Ttl, wantTTL)
		}
	}
}

func TestByteBoundKeepsPopular(t *testing.T) {
	cfg := testConfig()
	cfg.MaxBytes = 64 << 10
	c, clk, m := newTestCache(t, cfg)
	popular := make([]Key, 20)
	for i := range popular {
		popular[i] = keyA(fmt.Sprintf("popular%d.example.", i))
		mustSet(t, c, popular[i], answer(popular[i].Name, 300))
	}
	for i := range 5000 {
		name := fmt.Sprintf("once%d.example.", i)
		if _, err := c.Set(keyA(name), answer(name, 300)); err != nil {
			t.Fatal(err)
		}
		if i%50 == 0 {
			for _, k := range popular {
				c.Get(k, clk.Now())
			}
		}
		if b := c.Bytes(); b > cfg.MaxBytes {
			t.Fatalf("after %d inserts: %d bytes > %d", i, b, cfg.MaxBytes)
		}
	}
	for _, k := range popular {
		if _, st := c.Get(k, clk.Now()); st != Fresh {
			t.Errorf("popular %s evicted", k.Name)
		}
	}
	if ev := value(t, m.Evictions); ev == 0 {
		t.Error("no evictions counted")
	}
	if g, b := value(t, m.Bytes), c.Bytes(); g != float64(b) {
		t.Errorf("bytes gauge %v, cache %d", g, b)
	}
	if g, n := value(t, m.Entries), c.Len(); g != float64(n) {
		t.Errorf("entries gauge %v, cache %d", g, n)
	}
}

func TestStaleBeatsServfail(t *testing.T) {
	c, clk, _ := newTestCache(t, testConfig())
	k := keyA("example.com.")
	mustSet(t, c, k, answer("example.com.", 60))
	clk.Advance(2 * time.Minute)
	sf := new(dns.Msg).SetRcode(new(dns.Msg).SetQuestion("example.com.", dns.TypeA), dns.RcodeServerFailure)
	if ok, _ := c.Set(k, sf); ok {
		t.Fatal("SERVFAIL replaced a stale answer")
	}
	e, st := c.Get(k, clk.Now())
	if st != Stale || e.Kind() != Positive {
		t.Fatalf("state %v", st)
	}
	if c.RecheckDue(e, clk.Now()) {
		t.Error("recheck due right after a failure")
	}
	clk.Advance(DefaultStaleRecheck)
	if !c.RecheckDue(e, clk.Now()) {
		t.Error("recheck not due after stale_recheck")
	}
}

func TestPrefetchClaimedOnce(t *testing.T) {
	for _, tc := range []struct {
		name  string
		hits  int
		after time.Duration
		want  bool
	}{
		{"popular, near expiry", 3, 91 * time.Second, true},
		{"popular, early", 3, 80 * time.Second, false},
		{"unpopular", 2, 91 * time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, clk, _ := newTestCache(t, testConfig())
			k := keyA("hot.example.")
			mustSet(t, c, k, answer("hot.example.", 100))
			var e *Entry
			for range tc.hits {
				e, _ = c.Get(k, clk.Now())
			}
			clk.Advance(tc.after)
			if got := c.Prefetch(e, clk.Now()); got != tc.want {
				t.Fatalf("Prefetch = %v, want %v", got, tc.want)
			}
			if c.Prefetch(e, clk.Now()) {
				t.Error("claimed twice")
			}
		})
	}
}

func TestFlush(t *testing.T) {
	c, clk, m := newTestCache(t, testConfig())
	mustSet(t, c, keyA("a.example."), answer("a.example.", 300))
	c.Flush()
	if _, st := c.Get(keyA("a.example."), clk.Now()); st != Miss || c.Len() != 0 || c.Bytes() != 0 {
		t.Errorf("after Flush: %v, %d entries, %d bytes", st, c.Len(), c.Bytes())
	}
	if value(t, m.Entries) != 0 || value(t, m.Bytes) != 0 {
		t.Error("gauges not reset")
	}
}

func TestConcurrentUse(t *testing.T) {
	cfg := testConfig()
	cfg.MaxBytes = 32 << 10 // small, to evict while reading
	c, clk, _ := newTestCache(t, cfg)
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 1))
			buf := make([]byte, 0, 512)
			for range 2000 {
				name := fmt.Sprintf("n%d.example.", r.IntN(300))
				k := keyA(name)
				switch n := r.IntN(100); {
				case n < 60:
					if e, st := c.Get(k, clk.Now()); st == Fresh {
						buf = e.AppendWire(buf[:0], 1, strings.ToUpper(name), clk.Now())
						c.Prefetch(e, clk.Now())
					}
				case n < 98:
					if _, err := c.Set(k, answer(name, uint32(1+r.IntN(600)))); err != nil {
						t.Error(err)
					}
				case n < 99:
					clk.Advance(time.Second)
				default:
					c.Flush()
				}
			}
		})
	}
	wg.Wait()
	if b := c.Bytes(); b > cfg.MaxBytes {
		t.Errorf("%d bytes > %d", b, cfg.MaxBytes)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"defaults", func(*Config) {}, ""},
		{"max_bytes", func(c *Config) { c.MaxBytes = 0 }, "cache.max_bytes: must be > 0"},
		{"negative ttl", func(c *Config) { c.ServfailTTL = -1 }, "cache.servfail_ttl: must be >= 0"},
		{"min over max", func(c *Config) { c.MinTTL = 2 * c.MaxTTL }, "cache.min_ttl: must be <= cache.max_ttl"},
		{"client timeout", func(c *Config) { c.ClientTimeout = 0 }, "cache.client_timeout: must be > 0 when serve_stale is on"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			tc.edit(&cfg)
			err := cfg.Validate()
			if got := fmt.Sprint(err); (tc.want == "" && err != nil) || (tc.want != "" && !strings.Contains(got, tc.want)) {
				t.Errorf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
}
