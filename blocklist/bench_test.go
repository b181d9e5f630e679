package blocklist

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

const benchDomains = 1_000_000

// benchData is the generated 1M-domain list, shared by all benchmarks of a
// run: generating it takes longer than most of them.
var benchData = sync.OnceValue(func() benchList { return generateList(benchDomains, 42) })

type benchList struct {
	text  []byte   // one domain per line
	names []string // the domains, for lookups
}

var benchTLDs = []string{"com", "net", "org", "io", "cn", "de", "co.uk", "ru", "info", "xyz"}

// generateList makes n distinct domains of 2 to 5 labels with a fixed seed.
func generateList(n int, seed uint64) benchList {
	r := rand.New(rand.NewPCG(seed, seed))
	seen := make(map[string]struct{}, n)
	var buf bytes.Buffer
	names := make([]string, 0, n)
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
	for len(names) < n {
		tld := benchTLDs[r.IntN(len(benchTLDs))]
		var sb strings.Builder
		for range 1 + r.IntN(4) - strings.Count(tld, ".") {
			for range 3 + r.IntN(8) {
				sb.WriteByte(letters[r.IntN(26)+r.IntN(2)*r.IntN(10)])
			}
			sb.WriteByte('.')
		}
		name := sb.String() + tld
		if _, dup := seen[name]; dup || strings.Count(name, ".") < 1 {
			continue
		}
		seen[name] = struct{}{}
		names = append(names, name)
		buf.WriteString(name)
		buf.WriteByte('\n')
	}
	return benchList{text: buf.Bytes(), names: names}
}

// mapSet is the baseline: a Go map of names with a suffix walk, read the
// way most simple filters read a list.
type mapSet map[string]struct{}

func buildMapSet(text []byte) mapSet {
	m := make(mapSet)
	sc := bufio.NewScanner(bytes.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		m[strings.ToLower(strings.TrimSuffix(line, "."))] = struct{}{}
	}
	return m
}

func (m mapSet) match(name string) bool {
	for {
		if _, ok := m[name]; ok {
			return true
		}
		i := strings.IndexByte(name, '.')
		if i < 0 {
			return false
		}
		name = name[i+1:]
	}
}

func buildBenchSet(text []byte) *Set {
	p, _ := parseList(text, 0)
	return buildSet(nil, 1, 0, map[int]*part{0: p})
}

// heapAfter returns the live heap growth, in MB, caused by build.
func heapAfter(build func() any) (any, float64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	v := build()
	runtime.GC()
	runtime.ReadMemStats(&after)
	return v, float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / (1 << 20)
}

func BenchmarkBuild1M(b *testing.B) {
	data := benchData()
	impls := []struct {
		name  string
		build func() any
	}{
		{"set", func() any { return buildBenchSet(data.text) }},
		{"map", func() any { return buildMapSet(data.text) }},
	}
	for _, impl := range impls {
		b.Run(impl.name, func(b *testing.B) {
			b.ReportAllocs()
			var heapMB float64
			for b.Loop() {
				var v any
				v, heapMB = heapAfter(impl.build)
				runtime.KeepAlive(v)
			}
			b.ReportMetric(heapMB, "heap-MB")
		})
	}
}

// lookupNames returns names with 3 extra labels under listed domains (hits)
// and under unlisted ones (misses).
func lookupNames(data benchList, m mapSet, n int) (hits, misses []string) {
	r := rand.New(rand.NewPCG(7, 7))
	for range n {
		base := data.names[r.IntN(len(data.names))]
		hits = append(hits, "a1.cdn.edge."+base)
	}
	for _, base := range generateList(2*n, 99).names {
		if name := "a1.cdn.edge." + base; len(misses) < n && !m.match(name) {
			misses = append(misses, name)
		}
	}
	return hits, misses
}

func BenchmarkLookup1M(b *testing.B) {
	data := benchData()
	set := buildBenchSet(data.text)
	m := buildMapSet(data.text)
	hits, misses := lookupNames(data, m, 4096)
	all := policyMask{block: 1}
	impls := []struct {
		name  string
		match func(string) bool
	}{
		{"set", func(name string) bool { return set.lookup(name, all).blocked }},
		{"map", m.match},
	}
	for _, impl := range impls {
		for _, c := range []struct {
			kind  string
			names []string
			want  bool
		}{{"hit", hits, true}, {"miss", misses, false}} {
			b.Run(impl.name+"/"+c.kind, func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if impl.match(c.names[i&4095]) != c.want {
						b.Fatalf("%s: wrong answer", c.names[i&4095])
					}
					i++
				}
			})
			b.Run(impl.name+"/"+c.kind+"-parallel", func(b *testing.B) {
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					i := 0
					for pb.Next() {
						if impl.match(c.names[i&4095]) != c.want {
							b.Errorf("%s: wrong answer", c.names[i&4095])
							return
						}
						i++
					}
				})
			})
		}
	}
}

// BenchmarkGC1M times a full collection with each structure live: a
// pointer-free set should cost what an empty heap costs.
func BenchmarkGC1M(b *testing.B) {
	data := benchData()
	impls := []struct {
		name  string
		build func() any
	}{
		{"empty", func() any { return nil }},
		{"set", func() any { return buildBenchSet(data.text) }},
		{"map", func() any { return buildMapSet(data.text) }},
	}
	for _, impl := range impls {
		b.Run(impl.name, func(b *testing.B) {
			v := impl.build()
			runtime.GC()
			var total time.Duration
			for b.Loop() {
				start := time.Now()
				runtime.GC()
				total += time.Since(start)
			}
			b.ReportMetric(float64(total.Microseconds())/float64(b.N), "gc-µs")
			runtime.KeepAlive(v)
		})
	}
}
