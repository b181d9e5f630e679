package querylog

import (
	"syscall"
	"testing"
	"time"

	"github.com/cleandns/cleandns/internal/pgtest"
)

// BenchmarkPostgresWrite is the central log's sustained rate: 1,000-record
// COPY batches into a real PostgreSQL on loopback. It reports records per
// second and this process's CPU per record (the database server's CPU is
// its own process and not counted), to set beside BenchmarkWrite (SQLite).
func BenchmarkPostgresWrite(b *testing.B) {
	pg := pgtest.Start(b)
	p, err := OpenPostgres(pg.DSN, "bench", 1<<20, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	recs := generate(1000, time.Now().UTC())
	if err := p.Write(recs[:1]); err != nil { // schema and partitions
		b.Fatal(err)
	}
	cpu0 := cpuTime()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := p.Write(recs); err != nil {
			b.Fatal(err)
		}
		if len(p.backlog) != 0 {
			b.Fatal("records left in the backlog: the server did not take them")
		}
	}
	b.StopTimer()
	n := float64(b.N * len(recs))
	b.ReportMetric(n/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/n, "cpu-ns/record")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
