package cache

import (
	"fmt"
	"testing"

	"github.com/miekg/dns"
)

func BenchmarkGetHit(b *testing.B) {
	c, clk, _ := newTestCache(b, testConfig())
	k := keyA("www.example.com.")
	mustSet(b, c, k, answer("www.example.com.", 300, 300))
	now := clk.Now()
	b.ReportAllocs()
	for b.Loop() {
		if _, st := c.Get(k, now); st != Fresh {
			b.Fatal(st)
		}
	}
}

// BenchmarkHitWire is the whole hit as the hot path will do it: look up,
// then patch ID, case and TTLs into a reused buffer.
func BenchmarkHitWire(b *testing.B) {
	c, clk, _ := newTestCache(b, testConfig())
	k := keyA("www.example.com.")
	mustSet(b, c, k, answer("www.example.com.", 300, 300))
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		now := clk.Now()
		e, _ := c.Get(NewKey("www.example.com.", dns.TypeA, dns.ClassINET, false, false), now)
		buf = e.AppendWire(buf[:0], 0x1234, "WWW.example.com.", now)
	}
}

func BenchmarkGetHitParallel(b *testing.B) {
	c, clk, _ := newTestCache(b, testConfig())
	keys := make([]Key, 1024)
	for i := range keys {
		keys[i] = keyA(fmt.Sprintf("n%d.example.", i))
		mustSet(b, c, keys[i], answer(keys[i].Name, 300))
	}
	now := clk.Now()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, st := c.Get(keys[i&1023], now); st != Fresh {
				b.Error(st)
				return
			}
			i++
		}
	})
}

func BenchmarkSet(b *testing.B) {
	c, _, _ := newTestCache(b, testConfig())
	k := keyA("www.example.com.")
	m := answer("www.example.com.", 300, 300)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Set(k, m); err != nil {
			b.Fatal(err)
		}
	}
}
