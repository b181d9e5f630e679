package querylog

import (
	"context"
	"testing"
	"time"

	"github.com/cleandns/cleandns/query"
)

func TestHistogramFromRecords(t *testing.T) {
	st := openTestDB(t, 0)
	base := t0.Truncate(10 * time.Minute)
	if err := st.Write([]Record{
		rec(base.Add(-25*time.Minute), "10.0.0.5", "a.example.", "forwarded"),
		rec(base.Add(-21*time.Minute), "10.0.0.5", "ads.example.", "blocked"),
		rec(base.Add(-5*time.Minute), "10.0.0.6", "a.example.", "cached"),
		rec(base.Add(-4*time.Minute), "10.0.0.6", "ads.example.", "blocked"),
		rec(base.Add(-3*time.Minute), "10.0.0.6", "t.example.", "blocked"),
	}); err != nil {
		t.Fatal(err)
	}
	got, err := st.Histogram(context.Background(), base.Add(-time.Hour), 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		at                     time.Time
		total, blocked, cached int64
	}{
		{base.Add(-30 * time.Minute), 2, 1, 0},
		{base.Add(-10 * time.Minute), 3, 2, 1},
	}
	if len(got) != len(want) {
		t.Fatalf("histogram = %+v, want %+v", got, want)
	}
	for i, w := range want {
		g := got[i]
		if !g.Time.Equal(w.at) || g.Total != w.total || g.Blocked != w.blocked || g.Cached == nil || *g.Cached != w.cached {
			t.Errorf("bucket %d = %+v, want %+v", i, g, w)
		}
	}
	if _, err := st.Histogram(context.Background(), base, time.Second); err == nil {
		t.Error("a 1s step was accepted")
	}
}

func TestHistogramFromCounters(t *testing.T) {
	base := t0.Truncate(time.Hour)
	c := newCounters(base.Add(-2 * time.Hour))
	for _, q := range []struct {
		at      time.Duration
		blocked bool
	}{{-90 * time.Minute, false}, {-85 * time.Minute, true}, {-15 * time.Minute, false}, {-1 * time.Minute, true}} {
		e := entry{start: base.Add(q.at), name: "a.example.", result: query.Forwarded}
		if q.blocked {
			e.result = query.Blocked
		}
		c.addEntry(&e)
	}
	got := c.histogram(base.Add(-2*time.Hour), base, time.Hour)
	if len(got) != 2 || !got[0].Time.Equal(base.Add(-2*time.Hour)) || got[0].Total != 2 || got[0].Blocked != 1 ||
		got[1].Total != 2 || got[1].Blocked != 1 || got[1].Cached != nil {
		t.Errorf("hourly histogram from the counters = %+v", got)
	}
}

func TestHistogramFromMinutes(t *testing.T) {
	now := t0.Truncate(time.Minute).Add(30 * time.Second)
	l := &Logger{lanes: newLanes(8, 2)} // the queries of one minute in both lanes: summed
	for i, q := range []struct {
		ago time.Duration
		r   query.Result
	}{
		{59 * time.Minute, query.Forwarded}, {59 * time.Minute, query.Blocked}, {2 * time.Minute, query.Cached},
		{0, query.Blocked}, {0, query.Cached}, {0, query.Forwarded},
		{61 * time.Minute, query.Blocked}, // an hour back: its slot is reused, nothing counts
	} {
		l.lanes[i%2].recent.add(now.Add(-q.ago), q.r)
	}
	got := l.minuteHistogram(now.Add(-time.Hour), now, time.Minute)
	want := []struct{ total, blocked, cached int64 }{{2, 1, 0}, {1, 0, 1}, {3, 1, 1}}
	if len(got) != len(want) {
		t.Fatalf("minutes = %+v", got)
	}
	for i, w := range want {
		if got[i].Total != w.total || got[i].Blocked != w.blocked || *got[i].Cached != w.cached {
			t.Errorf("minute %d = %+v, want %+v", i, got[i], w)
		}
	}
	if !got[2].Time.Equal(now.Truncate(time.Minute)) {
		t.Errorf("last minute starts %v", got[2].Time)
	}
	if minutesCover(now.Add(-2*time.Hour), now) {
		t.Error("the minutes claim two hours")
	}
}
