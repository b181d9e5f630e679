package querylog

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cleandns/cleandns/query"
)

// Top lists and totals come from counters taken before the buffer: with a
// stuck store and an 8-record buffer nearly every record is dropped, and
// the counts are still exact, across buckets and after closed buckets are
// compacted.
func TestCountersExactWhenRecordsDrop(t *testing.T) {
	st := &slowStore{release: make(chan struct{})}
	now := t0
	l := NewWithStore(Config{Buffer: 8, Client: ClientAnonymize}, st, Deps{Now: func() time.Time { return now }})
	defer l.Close()
	send := func(at time.Time, client, name string, blocked bool, n int) {
		for range n {
			req, resp := request(client, name)
			req.Start = at
			if blocked {
				resp.Result, resp.List = query.Blocked, "builtin:ads"
			}
			l.Record(req, resp, 0, time.Millisecond)
		}
	}
	earlier := t0.Add(-3 * time.Hour)
	send(earlier, "10.0.0.5", "a.example.", false, 600)
	send(earlier, "10.0.0.6", "ads.example.", true, 300)
	for i := range keepTop + 100 { // more names than a closed bucket keeps
		send(earlier, "10.0.1.7", fmt.Sprintf("rare%d.example.", i), false, 1)
	}
	send(t0, "10.0.0.5", "a.example.", false, 50)
	// Names, clients and lists are counted as the writer takes the records
	// (or as they are dropped): release the store and let it take the last.
	close(st.release)
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	l.counts.compact()

	want := map[TopKind][]Count{
		TopNames:   {{"a.example.", 650}, {"ads.example.", 300}},
		TopBlocked: {{"ads.example.", 300}},
		TopLists:   {{"builtin:ads", 300}},
		TopClients: {{"10.0.0.0", 950}, {"10.0.1.0", keepTop + 100}}, // anonymized to the /24
	}
	for kind, w := range want {
		got, err := l.Top(context.Background(), kind, t0.Add(-24*time.Hour), len(w))
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("top %s = %v, want %v", kind, got, w)
		}
	}
	total := int64(600 + 300 + keepTop + 100 + 50)
	if got := l.Totals(t0.Add(-24 * time.Hour)); got.Queries != total || got.Blocked != 300 {
		t.Errorf("totals = %+v, want %d queries, 300 blocked", got, total)
	}
	if got := l.Totals(t0.Add(-time.Hour)); got.Queries != 50 {
		t.Errorf("totals for the last hour = %+v, want the 50 queries of t0", got)
	}
}
