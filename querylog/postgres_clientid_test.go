package querylog

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cleandns/cleandns/internal/pgtest"
)

// TestPostgresAddsClientIDToAnOlderTable: a table an older cleandns made
// (no client_id) gets the column when a new instance starts writing; its
// rows read with no ID, the new ones with theirs, an older instance's
// COPY (without the column) still goes in, and the top clients count a
// device by its ID.
func TestPostgresAddsClientIDToAnOlderTable(t *testing.T) {
	pg := pgtest.Start(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	now := time.Now().UTC().Truncate(time.Millisecond)
	day := now.Truncate(24 * time.Hour)
	// The schema as the first version created it, and one of its rows.
	if _, err := conn.Exec(ctx, `
		CREATE TABLE `+pgTable+` (
			ts timestamptz NOT NULL, instance text NOT NULL, client text NOT NULL,
			protocol text NOT NULL, name text NOT NULL, qtype text NOT NULL, result text NOT NULL,
			grp text NOT NULL, list text NOT NULL, rule text NOT NULL, upstream text NOT NULL,
			reason text NOT NULL, rcode smallint NOT NULL, duration_us bigint NOT NULL
		) PARTITION BY RANGE (ts);
		CREATE TABLE `+partitionName(day)+` PARTITION OF `+pgTable+` FOR VALUES FROM ('`+day.Format(time.RFC3339)+`') TO ('`+day.Add(24*time.Hour).Format(time.RFC3339)+`');
		INSERT INTO `+pgTable+` VALUES ('`+now.Add(-time.Second).Format(time.RFC3339Nano)+`', 'old', '10.0.0.5', 'udp', 'old.example.', 'A', 'forwarded', 'default', '', '', '9.9.9.9:53', '', 0, 1000);`); err != nil {
		t.Fatal(err)
	}

	p, err := OpenPostgres(pg.DSN, "new", 1000, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Write([]Record{
		withID(rec(now, "10.0.0.5", "new.example.", "forwarded"), "annas-phone", "doh"),
		withID(rec(now.Add(time.Millisecond), "10.0.0.9", "ads.example.", "blocked"), "laptop", "dot"),
	}); err != nil {
		t.Fatal(err)
	}
	// An instance not yet upgraded names only the columns it knows.
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{pgTable}, pgColumns[:len(pgColumns)-1], pgx.CopyFromRows([][]any{
		{now.Add(2 * time.Millisecond), "old", "10.0.0.5", "udp", "still-old.example.", "A", "forwarded", "default", "", "", "", "", int16(0), int64(5)},
	})); err != nil {
		t.Fatalf("an older instance's COPY into the grown table: %v", err)
	}

	all, err := p.Search(ctx, Query{})
	if err != nil || len(all) != 4 {
		t.Fatalf("search all: %+v %v", all, err)
	}
	byName := map[string]Record{}
	for _, r := range all {
		byName[r.Name] = r
	}
	if r := byName["old.example."]; r.ClientID != "" || r.Client != "10.0.0.5" || r.Instance != "old" {
		t.Errorf("the older row: %+v", r)
	}
	if r := byName["new.example."]; r.ClientID != "annas-phone" || r.Protocol != "doh" || r.Instance != "new" {
		t.Errorf("a row with an ID: %+v", r)
	}
	if got, err := p.Search(ctx, Query{ClientID: "laptop"}); err != nil || len(got) != 1 || got[0].Name != "ads.example." || got[0].Protocol != "dot" {
		t.Errorf("client_id laptop: %+v %v", got, err)
	}
	top, err := p.Top(ctx, TopClients, now.Add(-time.Hour), 10)
	want := []Count{{"10.0.0.5", 2}, {"id:annas-phone", 1}, {"id:laptop", 1}}
	if err != nil || len(top) != 3 || top[0] != want[0] || top[1] != want[1] || top[2] != want[2] {
		t.Errorf("top clients %v %v, want %v", top, err, want)
	}

	// A second start finds the column there and leaves the table alone.
	q, err := OpenPostgres(pg.DSN, "again", 1000, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if err := q.Write([]Record{withID(rec(now.Add(3*time.Millisecond), "10.0.0.7", "again.example.", "forwarded"), "tv", "dot")}); err != nil {
		t.Fatal(err)
	}
	if got, err := q.Search(ctx, Query{ClientID: "tv"}); err != nil || len(got) != 1 {
		t.Errorf("after a second start: %+v %v", got, err)
	}
}
