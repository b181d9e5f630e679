package querylog

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"
)

// A log written by the row-per-record format is moved into chunks at
// open, records and hourly counts intact, and the old tables dropped.
func TestMigratesTheRowFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`
		CREATE TABLE names (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
		CREATE TABLE queries (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, client TEXT NOT NULL, protocol TEXT NOT NULL,
			name_id INTEGER NOT NULL, qtype TEXT NOT NULL, result TEXT NOT NULL, grp TEXT NOT NULL, list TEXT NOT NULL,
			rule TEXT NOT NULL, upstream TEXT NOT NULL, reason TEXT NOT NULL, rcode INTEGER NOT NULL, duration_us INTEGER NOT NULL);
		CREATE TABLE hourly (hour INTEGER PRIMARY KEY, total INTEGER NOT NULL, blocked INTEGER NOT NULL);
		`); err != nil {
		t.Fatal(err)
	}
	hour := t0.Unix()/3600 - 1
	if _, err := db.Exec(`INSERT INTO hourly VALUES (?, 5000, 500)`, hour); err != nil {
		t.Fatal(err)
	}
	recs := generate(migrateRows+10, t0) // more than one transaction's worth
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		if _, err := tx.Exec(`INSERT OR IGNORE INTO names (name) VALUES (?)`, r.Name); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(`INSERT INTO queries (id, ts, client, protocol, name_id, qtype, result, grp, list, rule, upstream, reason, rcode, duration_us)
			SELECT ?, ?, ?, ?, id, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM names WHERE name = ?`, i+1, r.Time.UnixMicro(), r.Client, r.Protocol,
			r.Type, r.Result, r.Group, r.List, r.Rule, r.Upstream, r.Reason, r.Rcode, r.Duration.Microseconds(), r.Name); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := OpenSQLite(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Migrated != int64(len(recs)) {
		t.Errorf("migrated %d records, want %d", s.Migrated, len(recs))
	}
	got, err := s.Search(context.Background(), Query{Name: recs[0].Name, Limit: MaxLimit})
	if err != nil || len(got) == 0 || got[len(got)-1].Client != recs[0].Client || !got[len(got)-1].Time.Equal(recs[0].Time.Truncate(1000)) {
		t.Errorf("search for %s after migrating: %+v, %v", recs[0].Name, got, err)
	}
	var tables int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name IN ('queries', 'names', 'names_fts')`).Scan(&tables); err != nil || tables != 0 {
		t.Errorf("old tables left: %d, %v", tables, err)
	}
	hours, err := s.PerHour(context.Background(), time.Unix(hour*3600, 0))
	if err != nil || len(hours) != 1 || hours[0].Total != 5000 {
		t.Errorf("hourly counts after migrating: %+v, %v", hours, err)
	}
}
