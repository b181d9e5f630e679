package querylog

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cleandns/cleandns/query"
)

// bigDB is a million-record log, built once for the search benchmarks (it
// takes a while) in a directory removed at the end of the run.
var (
	bigOnce sync.Once
	bigDB   *SQLite
	bigPath string
	bigErr  error
)

func millionRecords(b *testing.B) *SQLite {
	bigOnce.Do(func() {
		dir, err := os.MkdirTemp("", "querylog-bench")
		if err != nil {
			bigErr = err
			return
		}
		bigPath = filepath.Join(dir, "q.db")
		bigDB, bigErr = OpenSQLite(bigPath, 0)
		if bigErr != nil {
			return
		}
		bigDB.yield = func() {} // no queries to yield to
		recs := generate(1_000_000, t0)
		for i := 0; i < len(recs) && bigErr == nil; i += 5000 {
			bigErr = bigDB.Write(recs[i : i+5000])
		}
	})
	if bigErr != nil {
		b.Fatal(bigErr)
	}
	return bigDB
}

// BenchmarkOpen1M is the start-up cost of a full log: opening it runs
// quick_check, so that a log torn by a power cut is moved aside.
func BenchmarkOpen1M(b *testing.B) {
	millionRecords(b)
	for b.Loop() {
		s, err := OpenSQLite(bigPath, 0)
		if err != nil {
			b.Fatal(err)
		}
		s.db.Close() // not Close: no checkpoint to time
	}
}

// BenchmarkSearch1M runs each search the API offers on a million records;
// each must answer in well under a second.
func BenchmarkSearch1M(b *testing.B) {
	ctx := context.Background()
	searches := []struct {
		name string
		run  func(s *SQLite) error
	}{
		{"client", func(s *SQLite) error { _, err := s.Search(ctx, Query{Client: "10.0.0.42"}); return err }},
		{"name-common", func(s *SQLite) error { _, err := s.Search(ctx, Query{Name: "example1"}); return err }},
		{"name-rare", func(s *SQLite) error { _, err := s.Search(ctx, Query{Name: "host4242.example42"}); return err }},
		{"name-absent", func(s *SQLite) error { _, err := s.Search(ctx, Query{Name: "nosuchname"}); return err }},
		{"name-short", func(s *SQLite) error { _, err := s.Search(ctx, Query{Name: "t9"}); return err }},
		{"result", func(s *SQLite) error { _, err := s.Search(ctx, Query{Result: "blocked"}); return err }},
		{"client-blocked-range", func(s *SQLite) error {
			_, err := s.Search(ctx, Query{Client: "10.0.1.150", Result: "blocked", Since: t0.Add(-30 * time.Minute), Until: t0.Add(-10 * time.Minute)})
			return err
		}},
		{"top-blocked", func(s *SQLite) error { _, err := s.Top(ctx, TopBlocked, time.Time{}, 10); return err }},
		{"top-clients", func(s *SQLite) error { _, err := s.Top(ctx, TopClients, time.Time{}, 10); return err }},
		{"per-hour", func(s *SQLite) error { _, err := s.PerHour(ctx, time.Time{}); return err }},
	}
	s := millionRecords(b)
	for _, sc := range searches {
		b.Run(sc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if err := sc.run(s); err != nil {
					b.Fatal(err)
				}
			}
			if per := b.Elapsed() / time.Duration(b.N); per > time.Second {
				b.Errorf("%s took %v a search on 1M records, want < 1s", sc.name, per)
			}
		})
	}
}

// nopStore stores nothing, instantly.
type nopStore struct{}

func (nopStore) Write([]Record) error           { return nil }
func (nopStore) Prune(time.Time) (int64, error) { return 0, nil }
func (nopStore) Close() error                   { return nil }

// BenchmarkRecord is the query side's cost: the minute counts and a copy into the
// ring (and, with -cpu 1, the writer's tallies and conversion, a store
// that keeps nothing).
func BenchmarkRecord(b *testing.B) {
	l := NewWithStore(Config{}, nopStore{}, Deps{})
	defer l.Close()
	req, resp := request("10.0.0.5", "www.example.com.")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Record(req, resp, 0, time.Millisecond)
		}
	})
}

// BenchmarkWrite is the store's cost per record in 1,000-record batches,
// without the writer's pauses for the queries.
func BenchmarkWrite(b *testing.B) {
	s := openTestDB(b, 0)
	s.yield = func() {}
	recs := generate(1000, t0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Write(recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}

// BenchmarkRecordFull is the hot path when the buffer is full: a failed
// send and a counter increment.
func BenchmarkRecordFull(b *testing.B) {
	st := &slowStore{release: make(chan struct{})} // never released: the writer stalls
	l := NewWithStore(Config{Buffer: 1, BatchSize: 1}, st, Deps{})
	req, resp := request("10.0.0.5", "www.example.com.")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Record(req, resp, 0, time.Millisecond)
		}
	})
	b.StopTimer()
	close(st.release)
	l.Close()
}

// BenchmarkLogPerRecord is the query log's whole CPU cost per record, the
// figure to set against the CPU a query costs: recording on the query's
// path, and the writer's work (tallies, encoding, SQLite, commits,
// checkpoints) to store it, as the process's CPU time per record. Names
// repeat as on a network: 2,000 of them, one query in ten blocked.
func BenchmarkLogPerRecord(b *testing.B) {
	dir := b.TempDir()
	l, err := New(Config{Path: filepath.Join(dir, "q.db"), Buffer: 1 << 17}, Deps{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	if err := l.Flush(ctx); err != nil { // open first
		b.Fatal(err)
	}
	reqs := make([]*query.Request, 2000)
	resps := make([]*query.Response, len(reqs))
	for i := range reqs {
		reqs[i], resps[i] = request(fmt.Sprintf("10.0.0.%d", i%50), fmt.Sprintf("host%d.example%d.com.", i, i%40))
		reqs[i].Start = time.Now()
		if i%10 == 0 {
			resps[i].Result, resps[i].List, resps[i].Rule = query.Blocked, "builtin:ads", reqs[i].Name
		}
	}
	cpu0, _ := processCPU()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.Record(reqs[i%len(reqs)], resps[i%len(reqs)], 0, time.Millisecond)
		if i%50_000 == 49_999 {
			if err := l.Flush(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := l.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	cpu1, _ := processCPU()
	b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/record")
}

// BenchmarkRecordLoops is BenchmarkRecord as the UDP loops record: each
// goroutine one loop, its requests carrying its lane.
func BenchmarkRecordLoops(b *testing.B) {
	l := NewWithStore(Config{}, nopStore{}, Deps{})
	defer l.Close()
	var lanes atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req, resp := request("10.0.0.5", "www.example.com.")
		setLane(req, int(lanes.Add(1)-1))
		for pb.Next() {
			l.Record(req, resp, 0, time.Millisecond)
		}
	})
}
