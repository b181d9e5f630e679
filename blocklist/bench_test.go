package blocklist

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
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

// benchList holds only bytes, so that keeping it live does not give the
// collector a million strings to scan while the GC benchmark runs.
type benchList struct {
	text []byte // one domain per line
}

// names returns the domains, allocated afresh for each caller.
func (l benchList) names() []string {
	return strings.Split(strings.TrimSuffix(string(l.text), "\n"), "\n")
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
	return benchList{text: bytes.Clone(buf.Bytes())} // no spare capacity kept live
}

// mapSet is the baseline: a Go map of names with a suffix walk, read the
// way most simple filters read a list.
type mapSet map[string]struct{}

func buildMapSet(text []byte) mapSet {
	m, _ := readMapSet(bytes.NewReader(text))
	return m
}

func readMapSet(r io.Reader) (mapSet, error) {
	m := make(mapSet)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		m[strings.ToLower(strings.TrimSuffix(line, "."))] = struct{}{}
	}
	return m, sc.Err()
}

// writeBenchFile writes the generated list to a file, as users load it.
func writeBenchFile(b *testing.B) string {
	path := filepath.Join(b.TempDir(), "1m.txt")
	if err := os.WriteFile(path, benchData().text, 0o600); err != nil {
		b.Fatal(err)
	}
	return path
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

func buildBenchSet(text []byte) *domainSet {
	p, _ := parseList(text, 0)
	return buildSet(nil, 1, 0, map[int]*part{0: p})
}

// heapAfter returns what build made, the live heap growth in MB it caused,
// and how long build took (the collections around it not counted).
func heapAfter(build func() any) (any, float64, time.Duration) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	v := build()
	took := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	return v, float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / (1 << 20), took
}

// BenchmarkBuild1M builds from a 1M-line file: the set the way the Manager
// does (read, parse, hash, table), the map the way a simple filter would.
func BenchmarkBuild1M(b *testing.B) {
	path := writeBenchFile(b)
	impls := []struct {
		name  string
		build func() any
	}{
		{"set", func() any {
			data, err := os.ReadFile(path)
			if err != nil {
				b.Fatal(err)
			}
			return buildBenchSet(data)
		}},
		{"map", func() any {
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			m, err := readMapSet(f)
			if err != nil {
				b.Fatal(err)
			}
			return m
		}},
	}
	for _, impl := range impls {
		b.Run(impl.name, func(b *testing.B) {
			b.ReportAllocs()
			var heapMB float64
			var build time.Duration
			for b.Loop() {
				v, mb, took := heapAfter(impl.build)
				heapMB, build = mb, build+took
				runtime.KeepAlive(v)
			}
			b.ReportMetric(heapMB, "heap-MB")
			b.ReportMetric(float64(build.Milliseconds())/float64(b.N), "build-ms")
		})
	}
}

// lookupNames returns names with 3 extra labels under listed domains (hits)
// and under unlisted ones (misses).
func lookupNames(data benchList, m mapSet, n int) (hits, misses []string) {
	r := rand.New(rand.NewPCG(7, 7))
	names := data.names()
	for range n {
		base := names[r.IntN(len(names))]
		hits = append(hits, "a1.cdn.edge."+base)
	}
	for _, base := range generateList(2*n, 99).names() {
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
	mgr := benchManager(b, Policy{Name: "p", Lists: []ListSpec{{Source: writeBenchFile(b)}}})
	matcher := mgr.Matcher("p")
	impls := []struct {
		name  string
		match func(string) bool
	}{
		{"set", func(name string) bool { return set.lookup(name, all).blocked }},
		{"manager", func(name string) bool { _, blocked := matcher.Match(name); return blocked }},
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

func benchManager(b *testing.B, policies ...Policy) *Manager {
	mgr, err := New(Config{}, policies, Deps{})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(func() { cancel(); mgr.Wait() })
	if err := mgr.Start(ctx); err != nil {
		b.Fatal(err)
	}
	return mgr
}

// BenchmarkBuiltins loads every built-in list (about 2,000 names) and looks
// up names with 3 extra labels under them.
func BenchmarkBuiltins(b *testing.B) {
	var lists []ListSpec
	for _, info := range Builtins() {
		if info.Members == nil {
			lists = append(lists, ListSpec{Source: info.Name})
		}
	}
	policy := Policy{Name: "all", Lists: lists}
	b.Run("load", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			mgr, err := New(Config{}, []Policy{policy}, Deps{})
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			if err := mgr.Start(ctx); err != nil {
				b.Fatal(err)
			}
			cancel()
			mgr.Wait()
		}
	})
	mgr := benchManager(b, policy)
	match := mgr.Matcher("all")
	for _, c := range []struct {
		kind, name string
		want       bool
	}{{"hit", "a1.cdn.edge.tiktok.com", true}, {"miss", "a1.cdn.edge.example.org", false}} {
		b.Run(c.kind, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, blocked := match.Match(c.name); blocked != c.want {
					b.Fatal("wrong answer")
				}
			}
		})
	}
}

// BenchmarkRefresh1M reloads a changed 1M-name file through the Manager and
// reports the live heap before the refresh and the highest heap seen while it
// ran (sampled every 100 µs, so a lower bound of the true peak).
func BenchmarkRefresh1M(b *testing.B) {
	path := writeBenchFile(b)
	other := generateList(benchDomains, 43).text
	mgr := benchManager(b, Policy{Name: "p", Lists: []ListSpec{{Source: path}}})
	versions := [][]byte{other, benchData().text}
	var steadyMB, peakMB float64
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		if err := os.WriteFile(path, versions[i%2], 0o600); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		steady := ms.HeapAlloc
		stop := make(chan struct{})
		peak := make(chan uint64)
		go samplePeakHeap(stop, peak)
		b.StartTimer()
		if err := mgr.Refresh(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		close(stop)
		steadyMB, peakMB = float64(steady)/(1<<20), float64(<-peak)/(1<<20)
		b.StartTimer()
	}
	b.ReportMetric(steadyMB, "steady-heap-MB")
	b.ReportMetric(peakMB, "peak-heap-MB")
}

func samplePeakHeap(stop <-chan struct{}, peak chan<- uint64) {
	var max uint64
	var ms runtime.MemStats
	t := time.NewTicker(100 * time.Microsecond)
	defer t.Stop()
	for {
		runtime.ReadMemStats(&ms)
		if ms.HeapAlloc > max {
			max = ms.HeapAlloc
		}
		select {
		case <-stop:
			peak <- max
			return
		case <-t.C:
		}
	}
}
