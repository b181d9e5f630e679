package cache

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/miekg/dns"
)

// BenchmarkGCFullCache is what a full cache costs the garbage collector:
// one forced collection with a default-sized (64 MiB) cache full of small
// answers, the usual content, in the heap. A resolver on one core marks
// this heap every few seconds under a miss load, and the mark saturated
// the core for 100-240 ms when each entry was half a dozen objects
// (issue 22's tail); ms/GC and the entries' objects per entry are what to
// watch.
func BenchmarkGCFullCache(b *testing.B) {
	c, _, _ := newTestCache(b, testConfig())
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; c.Bytes() < c.Config().MaxBytes*95/100; i++ {
		name := fmt.Sprintf("host-%d.example.com.", i)
		mustSet(b, c, Key{Name: name, Type: dns.TypeA, Class: dns.ClassINET}, answer(name, 300))
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	objects := float64(after.HeapObjects-before.HeapObjects) / float64(c.Len())
	b.ResetTimer()
	for b.Loop() {
		runtime.GC()
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/GC")
	b.ReportMetric(objects, "objects/entry")
	b.ReportMetric(float64(c.Len()), "entries")
	runtime.KeepAlive(c)
}
