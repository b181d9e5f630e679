package cache

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/miekg/dns"
)

// heapInUse is the live heap after a full collection.
func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// TestFootprintWithinMaxBytes is issue 15 item 9: a full cache's heap is
// within max_bytes (plus 15% for the map's growth steps), for small answers
// (one A record, where per-entry overhead dominates) and bigger ones (a
// CNAME chain and several addresses).
func TestFootprintWithinMaxBytes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		answers int
	}{{"one A", 1}, {"cname and eight A", 8}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.MaxBytes = 16 << 20
			before := heapInUse()
			c, _, _ := newTestCache(t, cfg)
			for i := 0; ; i++ {
				name := fmt.Sprintf("host-%d.example.com.", i)
				m := new(dns.Msg).SetQuestion(name, dns.TypeA)
				m.Response = true
				if tc.answers > 1 {
					cn, _ := dns.NewRR(name + " 300 IN CNAME edge-" + fmt.Sprint(i) + ".cdn.example.net.")
					m.Answer = append(m.Answer, cn)
				}
				for j := range tc.answers {
					rr, _ := dns.NewRR(fmt.Sprintf("%s 300 IN A 192.0.2.%d", name, j+1))
					m.Answer = append(m.Answer, rr)
				}
				if _, err := c.Set(Key{Name: name, Type: dns.TypeA, Class: dns.ClassINET}, m); err != nil {
					t.Fatal(err)
				}
				if c.Bytes() >= cfg.MaxBytes*95/100 && i%1000 == 0 {
					break
				}
			}
			used := heapInUse() - before
			runtime.KeepAlive(c)
			ratio := float64(used) / float64(cfg.MaxBytes)
			t.Logf("%d entries, accounted %d bytes, heap %d bytes: %.2fx max_bytes", c.Len(), c.Bytes(), used, ratio)
			if ratio > 1.15 {
				t.Errorf("a full cache uses %.2fx cache.max_bytes of heap", ratio)
			}
		})
	}
}
