package querylog

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Prune by age must delete only rows older than the cutoff. Records are
// stored in the order they finish, stamped with the wall clock: a device
// without an RTC logs its first queries after boot (NTP's own lookup among
// them) with a 1970 clock, after days of correctly stamped rows.
func TestPruneByAgeKeepsNewerRowsWithLowerIDs(t *testing.T) {
	st := openTestDB(t, 0)
	recent := generate(100, t0) // the last hour: within a week's retention
	if err := st.Write(recent); err != nil {
		t.Fatal(err)
	}
	boot := time.Unix(0, 0).UTC() // clock not yet set after a reboot
	if err := st.Write([]Record{rec(boot, "10.0.0.1", "pool.ntp.org.", "forwarded"), rec(boot, "10.0.0.1", "time.example.", "forwarded")}); err != nil {
		t.Fatal(err)
	}
	n, err := st.Prune(t0.Add(-7 * 24 * time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("Prune removed %d rows, want the 2 older than the cutoff", n)
	}
	got, _ := st.Search(context.Background(), Query{Limit: 1000})
	if len(got) != 100 {
		t.Errorf("kept %d rows, want the 100 within retention", len(got))
	}
}

// busyStore is a store slower than the records arrive.
type busyStore struct{ writes atomic.Int64 }

func (s *busyStore) Write(recs []Record) error {
	time.Sleep(2 * time.Millisecond)
	s.writes.Add(1)
	return nil
}
func (s *busyStore) Prune(time.Time) (int64, error) { return 0, nil }
func (s *busyStore) Close() error                   { return nil }

// With max_writer_cpu: 1 (no rest, a documented value) and records
// arriving faster than the store takes them, the writer must still come
// back to its loop, so that retention (the prune ticker), Flush and Close
// are served.
func TestFlushReturnsUnderSustainedLoad(t *testing.T) {
	st := &busyStore{}
	l := NewWithStore(Config{Buffer: 4096, BatchSize: 10, FlushInterval: time.Second, MaxWriterCPU: 1}, st, Deps{})
	defer l.Close()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, resp := request("10.0.0.5", "flood.example.")
			for {
				select {
				case <-stop:
					return
				default:
				}
				l.Record(req, resp, 0, time.Millisecond)
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()
	time.Sleep(50 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := l.Flush(ctx); err != nil {
		t.Fatalf("Flush under a flood: %v (%d batches written): retention, Flush and Close wait behind the writer", err, st.writes.Load())
	}
}
