package querylog

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// slowStore blocks every Write until release is closed, like a stuck disk.
type slowStore struct {
	release chan struct{}
	mu      sync.Mutex
	stored  []Record
}

func (s *slowStore) Write(recs []Record) error {
	<-s.release
	s.mu.Lock()
	s.stored = append(s.stored, recs...)
	s.mu.Unlock()
	return nil
}
func (s *slowStore) Prune(time.Time) (int64, error) { return 0, nil }
func (s *slowStore) Close() error                   { return nil }

// lostCount is the value of dropped for reason.
func lostCount(dropped *prometheus.CounterVec, reason string) int64 {
	return int64(testutil.ToFloat64(dropped.WithLabelValues(reason)))
}

// A flood against a stuck store: recording never blocks, the newest
// records of each lane are the ones kept, and every record lost is
// counted, exactly. The records alternate between the lanes, so the newest
// of each are the newest of all.
func TestFloodKeepsNewestAndCountsTheLost(t *testing.T) {
	for _, lanes := range []int{1, 2} {
		t.Run(fmt.Sprintf("lanes=%d", lanes), func(t *testing.T) {
			st := &slowStore{release: make(chan struct{})}
			dropped := NewDroppedCounter("test")
			const buffer, sent = 64, 20_000
			cfg := Config{Buffer: buffer, BatchSize: 4, FlushInterval: time.Hour}
			cfg.SetDefaults()
			l := start(cfg, func() (Store, error) { return st, nil }, Deps{Dropped: dropped, Now: func() time.Time { return t0 }}, lanes)
			begin := time.Now()
			for i := range sent {
				req, resp := request("10.0.0.5", fmt.Sprintf("q%d.example.", i))
				setLane(req, i%lanes)
				l.Record(req, resp, 0, time.Millisecond)
				if i == 100 {
					time.Sleep(2 * pollEvery) // the writer takes the first records and sticks in Write
				}
			}
			if d := time.Since(begin); d > 5*time.Second {
				t.Errorf("recording %d queries against a stuck store took %v: Record blocked", sent, d)
			}
			close(st.release)
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			stored := map[string]bool{}
			for _, r := range st.stored {
				stored[r.Name] = true
			}
			for i := sent - buffer; i < sent; i++ {
				if name := fmt.Sprintf("q%d.example.", i); !stored[name] {
					t.Fatalf("%s, among the newest %d, was not stored (%d stored)", name, buffer, len(st.stored))
				}
			}
			lost := lostCount(dropped, LostOverflow)
			if int64(len(st.stored))+lost != sent || lost == 0 {
				t.Errorf("stored %d + lost %d != sent %d", len(st.stored), lost, sent)
			}
			if got := l.Totals(time.Time{}).Queries; got != sent {
				t.Errorf("counters saw %d queries, want all %d", got, sent)
			}
		})
	}
}

// Records from several lanes reach the store in the order they started,
// as from one buffer, and the buffer's size is split over the lanes.
func TestLanesMergeInTimeOrder(t *testing.T) {
	st := &slowStore{release: make(chan struct{})}
	close(st.release)
	cfg := Config{Buffer: 10, FlushInterval: time.Hour}
	cfg.SetDefaults()
	l := start(cfg, func() (Store, error) { return st, nil }, Deps{}, 3)
	if got := []int{len(l.lanes[0].ring.buf), len(l.lanes[1].ring.buf), len(l.lanes[2].ring.buf)}; got[0]+got[1]+got[2] != 10 || got[0] != 4 {
		t.Errorf("lane sizes %v, want 4, 3, 3", got)
	}
	for i, lane := range []int{2, 0, 1, 0, 0, 2, 1} { // lane of the query that started at t0+i
		req, resp := request("10.0.0.5", fmt.Sprintf("q%d.example.", i))
		req.Start = t0.Add(time.Duration(i) * time.Millisecond)
		setLane(req, lane)
		l.Record(req, resp, 0, time.Millisecond)
	}
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var names []string
	for _, r := range st.stored {
		names = append(names, r.Name)
	}
	if want := "q0.example. q1.example. q2.example. q3.example. q4.example. q5.example. q6.example."; strings.Join(names, " ") != want {
		t.Errorf("stored %v, want %s", names, want)
	}
}

func TestLoggerStoresWithPrivacy(t *testing.T) {
	tests := []struct{ mode, client, want string }{
		{ClientFull, "10.0.0.5", "10.0.0.5"},
		{ClientAnonymize, "10.1.2.3", "10.1.2.0"},
		{ClientAnonymize, "2001:db8:aa:bb::1", "2001:db8:aa::"},
		{ClientNone, "10.0.0.5", ""},
	}
	for _, tt := range tests {
		t.Run(tt.mode+"/"+tt.client, func(t *testing.T) {
			l, err := New(Config{Path: filepath.Join(t.TempDir(), "q.db"), Client: tt.mode}, Deps{})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			req, resp := request(tt.client, "www.example.com.")
			l.Record(req, resp, 0, 3*time.Millisecond)
			if err := l.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			got, err := l.Search(context.Background(), Query{})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Client != tt.want || got[0].Name != "www.example.com." || got[0].Type != "A" ||
				got[0].Result != "forwarded" || got[0].Upstream != "9.9.9.9:53" || got[0].Duration != 3*time.Millisecond {
				t.Errorf("stored %+v, want client %q", got, tt.want)
			}
		})
	}
}

func TestRetentionByAge(t *testing.T) {
	now := t0
	st := openTestDB(t, 0)
	l := NewWithStore(Config{Retention: 24 * time.Hour}, st, Deps{Now: func() time.Time { return now }})
	defer l.Close()
	if err := st.Write([]Record{
		rec(t0.Add(-48*time.Hour), "10.0.0.1", "old.example.", "forwarded"),
		rec(t0.Add(-time.Hour), "10.0.0.1", "new.example.", "forwarded"),
	}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := l.Prune(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := l.Search(ctx, Query{}); len(got) != 1 || got[0].Name != "new.example." {
		t.Fatalf("after pruning at t0: %+v, want only new.example.", got)
	}
	now = t0.Add(24 * time.Hour) // a day later the other one is too old
	if err := l.Prune(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := l.Search(ctx, Query{}); len(got) != 0 {
		t.Fatalf("after pruning a day later: %+v, want none", got)
	}
}

func TestRetentionBySize(t *testing.T) {
	// Beyond pruneChunks chunks, so the oldest go in several statements.
	const total, keep = 2*pruneChunks*chunkRows + 250, 100
	st := openTestDB(t, keep)
	if err := st.Write(generate(total, t0)); err != nil {
		t.Fatal(err)
	}
	if n, err := st.Prune(time.Time{}); err != nil || n != total-keep {
		t.Fatalf("Prune removed %d (%v), want %d", n, err, total-keep)
	}
	got, _ := st.Search(context.Background(), Query{Limit: 1000})
	if len(got) != keep || !got[keep-1].Time.After(t0.Add(-time.Hour/total*keep-time.Second)) {
		t.Errorf("kept %d rows, want the newest %d", len(got), keep)
	}
}

func TestConfigValidateNamesKey(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{Format: "csv", Client: "full"}, "querylog.format"},
		{Config{Format: "sqlite", Client: "hash"}, "querylog.client"},
		{Config{Format: "sqlite", Client: "full", Retention: -time.Hour}, "querylog.retention"},
		{Config{Format: "jsonl", Client: "none", MaxRows: -1}, "querylog.max_rows"},
		{Config{Format: "sqlite", Client: "anonymize", Buffer: -1}, "querylog.buffer"},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate(%+v) = %v, want an error naming %s", tt.cfg, err, tt.want)
		}
	}
	if err := Defaults().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

func TestDefaultPath(t *testing.T) {
	// The state directory is probed by creating it, so every candidate
	// here is inside the test's own folder.
	tmp := t.TempDir()
	t.Setenv("STATE_DIRECTORY", tmp+"/state:/other")
	if got := DefaultPath("sqlite"); got != tmp+"/state/querylog.db" {
		t.Errorf("with STATE_DIRECTORY: %s", got)
	}
	t.Setenv("STATE_DIRECTORY", "")
	t.Setenv("XDG_STATE_HOME", tmp+"/xdg")
	if got := DefaultPath("jsonl"); got != tmp+"/xdg/cleandns/querylog.jsonl" {
		t.Errorf("with XDG_STATE_HOME: %s", got)
	}
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", "/")
	t.Setenv("TMPDIR", tmp+"/tmp")
	if got := DefaultPath("sqlite"); got != filepath.Join(tmp, "tmp", fmt.Sprintf("cleandns-%d", os.Getuid()), "querylog.db") {
		t.Errorf("without a home: %s", got)
	}
	// Nothing writable at all (TMPDIR below a file): the working directory.
	t.Setenv("TMPDIR", "/dev/null/tmp")
	if got := DefaultPath("sqlite"); got != "cleandns-querylog.db" {
		t.Errorf("with nothing writable: %s", got)
	}
}

func TestWriterRestsToItsCPUShare(t *testing.T) {
	tests := []struct {
		share float64
		work  time.Duration
		want  time.Duration
	}{
		{0.05, 10 * time.Millisecond, 190 * time.Millisecond},
		{0.5, 10 * time.Millisecond, 10 * time.Millisecond},
		{1, 10 * time.Millisecond, 0},
	}
	for _, tt := range tests {
		l := &Logger{cfg: Config{MaxWriterCPU: tt.share}}
		if got := l.restFor(tt.work); got != tt.want {
			t.Errorf("share %v after %v: rest %v, want %v", tt.share, tt.work, got, tt.want)
		}
	}
}
