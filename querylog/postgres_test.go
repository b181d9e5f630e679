package querylog

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/cleandns/cleandns/internal/pgtest"
)

func pgRecords(n int, at time.Time, name string) []Record {
	out := make([]Record, n)
	for i := range out {
		out[i] = Record{Time: at.Add(time.Duration(i) * time.Millisecond), Client: "10.0.0.1", Protocol: "udp",
			Name: fmt.Sprintf("%s%d.example.", name, i), Type: "A", Result: "forwarded", Rcode: 0, Duration: time.Millisecond}
	}
	return out
}

// TestPostgresSharedLog: two instances write into one database; either
// finds both's records, Top and PerHour count the fleet, and retention
// drops whole days.
func TestPostgresSharedLog(t *testing.T) {
	pg := pgtest.Start(t)
	a, err := OpenPostgres(pg.DSN, "a", 1000, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := OpenPostgres(pg.DSN, "b", 1000, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	now := time.Now().UTC().Truncate(time.Millisecond)
	if err := a.Write(pgRecords(3, now, "from-a-")); err != nil {
		t.Fatal(err)
	}
	blocked := Record{Time: now.Add(time.Second), Client: "10.0.0.2", Protocol: "tcp", Name: "tiktok.com.", Type: "AAAA",
		Result: "blocked", Group: "kids", List: "builtin:apps-tiktok", Rule: "tiktok.com", Rcode: 3, Duration: 40 * time.Microsecond}
	if err := b.Write([]Record{blocked}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	got, err := a.Search(ctx, Query{Name: "TIKTOK"})
	if err != nil || len(got) != 1 {
		t.Fatalf("instance a searching b's record: %v %v", got, err)
	}
	want := blocked
	want.Instance = "b"
	if g := got[0]; !g.Time.Equal(want.Time) || g.Instance != "b" || g.List != want.List || g.Group != "kids" || g.Rcode != 3 || g.Duration != want.Duration || g.Type != "AAAA" {
		t.Errorf("record %+v, want %+v", g, want)
	}
	all, err := b.Search(ctx, Query{Since: now.Add(-time.Minute)})
	if err != nil || len(all) != 4 || all[0].Name != "tiktok.com." {
		t.Fatalf("newest first, both instances: %v %v", all, err)
	}
	if r, _ := a.Search(ctx, Query{Client: "10.0.0.1", Limit: 2}); len(r) != 2 {
		t.Errorf("client filter with limit: %d records", len(r))
	}
	top, err := a.Top(ctx, TopLists, now.Add(-time.Hour), 5)
	if err != nil || len(top) != 1 || top[0].Key != "builtin:apps-tiktok" || top[0].Count != 1 {
		t.Errorf("top lists: %v %v", top, err)
	}
	hour := now.Truncate(time.Hour)
	_ = a.AddHourly([]HourCount{{Hour: hour, Total: 3}})
	_ = b.AddHourly([]HourCount{{Hour: hour, Total: 1, Blocked: 1}})
	_ = a.Write(nil)
	_ = b.Write(nil)
	ph, err := a.PerHour(ctx, hour)
	if err != nil || len(ph) != 1 || ph[0].Total != 4 || ph[0].Blocked != 1 {
		t.Errorf("per hour: %v %v", ph, err)
	}

	old := now.Add(-72 * time.Hour)
	if err := a.Write(pgRecords(2, old, "old-")); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Prune(now.Add(-24 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	if r, _ := a.Search(ctx, Query{Name: "old-"}); len(r) != 0 {
		t.Errorf("retention kept %d records of a dropped day", len(r))
	}
	if r, _ := a.Search(ctx, Query{}); len(r) != 4 {
		t.Errorf("retention removed today's records: %d left", len(r))
	}
}

// TestPostgresOutage: while the server is down records wait in the
// backlog and go in once it is back; what does not fit is counted, and the
// password never appears in what is logged.
func TestPostgresOutage(t *testing.T) {
	pg := pgtest.Start(t)
	core, logs := observer.New(zap.InfoLevel)
	dsn := strings.Replace(pg.DSN, "postgres@", "postgres:s3cret-pw@", 1)
	p, err := OpenPostgres(dsn, "a", 100, zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	clock := time.Now()
	p.now = func() time.Time { return clock }
	now := time.Now().UTC()
	if err := p.Write(pgRecords(10, now, "before-")); err != nil {
		t.Fatal(err)
	}
	pg.Stop()
	if err := p.Write(pgRecords(60, now.Add(time.Second), "during-")); err != nil {
		t.Fatalf("records that fit the backlog reported lost: %v", err)
	}
	clock = clock.Add(2 * pgRetry)
	err = p.Write(pgRecords(60, now.Add(2*time.Second), "more-"))
	var el *ErrLost
	if !asLost(err, &el) || el.N != 20 {
		t.Fatalf("backlog of 100 with 120 waiting: %v, want 20 lost", err)
	}
	pg.Resume()
	clock = clock.Add(2 * pgRetry)
	if err := p.Write(nil); err != nil {
		t.Fatalf("write after the server came back: %v", err)
	}
	got, err := p.Search(context.Background(), Query{Limit: 1000})
	if err != nil || len(got) != 110 {
		t.Fatalf("after the outage %d records (%v), want 10 before + the 100 the backlog kept", len(got), err)
	}
	for _, e := range logs.All() {
		if strings.Contains(fmt.Sprint(e.Message, e.ContextMap()), "s3cret-pw") {
			t.Errorf("password in the log: %v %v", e.Message, e.ContextMap())
		}
	}
	if logs.FilterMessageSnippet("PostgreSQL unavailable").Len() != 1 || logs.FilterMessageSnippet("PostgreSQL back").Len() != 1 {
		t.Errorf("want one line when it goes and one when it is back: %v", logs.All())
	}
}

func asLost(err error, el **ErrLost) bool {
	e, ok := err.(*ErrLost)
	*el = e
	return ok
}
