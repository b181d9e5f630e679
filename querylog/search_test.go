package querylog

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cleandns/cleandns/query"
)

func TestSearch(t *testing.T) {
	st := openTestDB(t, 0)
	if err := st.Write([]Record{
		rec(t0.Add(-3*time.Hour), "10.0.0.5", "ads.tracker.example.", "blocked"),
		rec(t0.Add(-2*time.Hour), "10.0.0.5", "www.example.com.", "forwarded"),
		rec(t0.Add(-time.Hour), "10.0.0.6", "ads.tracker.example.", "blocked"),
		rec(t0.Add(-time.Minute), "10.0.0.6", "x.io.", "cached"),
	}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		q    Query
		want []string // names, newest first
	}{
		{"all", Query{}, []string{"x.io.", "ads.tracker.example.", "www.example.com.", "ads.tracker.example."}},
		{"client", Query{Client: "10.0.0.5"}, []string{"www.example.com.", "ads.tracker.example."}},
		{"substring trigram", Query{Name: "TRACK"}, []string{"ads.tracker.example.", "ads.tracker.example."}},
		{"substring short", Query{Name: "io"}, []string{"x.io."}},
		{"substring like chars", Query{Name: "%"}, nil},
		{"result", Query{Result: "blocked", Client: "10.0.0.6"}, []string{"ads.tracker.example."}},
		{"since", Query{Since: t0.Add(-90 * time.Minute)}, []string{"x.io.", "ads.tracker.example."}},
		{"until", Query{Until: t0.Add(-90 * time.Minute)}, []string{"www.example.com.", "ads.tracker.example."}},
		{"limit", Query{Limit: 1}, []string{"x.io."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := st.Search(context.Background(), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, r := range got {
				names = append(names, r.Name)
			}
			if strings.Join(names, " ") != strings.Join(tt.want, " ") {
				t.Errorf("got %v, want %v", names, tt.want)
			}
		})
	}
}

func TestTopAndPerHour(t *testing.T) {
	st := openTestDB(t, 0)
	if err := st.Write(generate(1000, t0)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	top, err := st.Top(ctx, TopBlocked, time.Time{}, 3)
	if err != nil {
		t.Fatal(err)
	}
	// Every tenth record is blocked, and i%5000 names repeat never in 1000:
	// each blocked name once.
	if len(top) != 3 || top[0].Count != 1 || !strings.HasPrefix(top[0].Key, "host") {
		t.Errorf("top blocked = %+v", top)
	}
	clients, err := st.Top(ctx, TopClients, time.Time{}, 500)
	if err != nil {
		t.Fatal(err)
	}
	if len(clients) != 200 || clients[0].Count != 5 {
		t.Errorf("top clients: %d rows, first %+v; want 200 clients of 5 queries", len(clients), clients[0])
	}
	if _, err := st.Top(ctx, "bogus", time.Time{}, 3); err == nil {
		t.Error("Top(bogus) succeeded")
	}
}

// The hourly counts come from the Logger's counters, so they count every
// query recorded, stored or not.
func TestPerHourCountsEveryQuery(t *testing.T) {
	st := openTestDB(t, 0)
	now := t0
	l := NewWithStore(Config{}, st, Deps{Now: func() time.Time { return now }})
	defer l.Close()
	ctx := context.Background()
	for i := range 30 {
		req, resp := request("10.0.0.5", "www.example.com.")
		req.Start = t0.Add(-time.Second - time.Duration(i)*4*time.Minute) // the two hours before t0
		if i%3 == 0 {
			resp.Result = query.Blocked
		}
		l.Record(req, resp, 0, time.Millisecond)
	}
	if err := l.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	hours, err := l.PerHour(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var total, blocked int64
	for _, h := range hours {
		total, blocked = total+h.Total, blocked+h.Blocked
	}
	if total != 30 || blocked != 10 || len(hours) != 2 || !hours[0].Hour.Equal(t0.Add(-2*time.Hour)) {
		t.Errorf("per hour = %+v", hours)
	}
}

func TestJSONLRotatesAndPrunes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.jsonl")
	j, err := OpenJSONL(path, 1000, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		if err := j.Write(generate(5, t0)); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(b), `"name":"host`) {
		t.Fatalf("current file: %v %.80s", err, b)
	}
	for _, f := range []string{path + ".1", path + ".2"} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("rotated file: %v", err)
		}
	}
	if _, err := os.Stat(path + ".3"); err == nil {
		t.Error("kept more than max_files rotated files")
	}
	if n, err := j.Prune(time.Now().Add(time.Hour)); err != nil || n != 2 {
		t.Errorf("Prune removed %d (%v), want the 2 rotated files", n, err)
	}
}

func TestJSONLNotSearchable(t *testing.T) {
	l, err := New(Config{Format: "jsonl", Path: filepath.Join(t.TempDir(), "q.jsonl")}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Flush(context.Background()); err != nil { // the log is open after
		t.Fatal(err)
	}
	if _, err := l.Search(context.Background(), Query{}); err != ErrNotSearchable {
		t.Errorf("Search on jsonl: %v", err)
	}
}
