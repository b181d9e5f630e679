package querylog

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A log the power cut corrupted is moved aside, not lost, and a new one
// starts: the server must not refuse to start over its query log.
func TestCorruptLogMovedAside(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "q.db")
	garbage := []byte(strings.Repeat("not a database page ", 400))
	if err := os.WriteFile(path, garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := OpenSQLite(path, 0)
	if err != nil {
		t.Fatalf("open over a corrupt file: %v", err)
	}
	defer s.Close()
	if err := s.Write(generate(10, t0)); err != nil {
		t.Fatal(err)
	}
	got, err := s.Search(context.Background(), Query{})
	if err != nil || len(got) != 10 {
		t.Fatalf("search in the new log: %d records, %v", len(got), err)
	}
	aside, _ := filepath.Glob(path + ".corrupt-*")
	if len(aside) != 1 {
		t.Fatalf("corrupt file kept as %v, want one", aside)
	}
	if b, err := os.ReadFile(aside[0]); err != nil || string(b) != string(garbage) {
		t.Errorf("the corrupt file was not kept as it was: %v", err)
	}
}

// Write splits a batch into chunks of chunkRows; every record lands, and
// reads back as it was written.
func TestWriteSplitsChunks(t *testing.T) {
	s := openTestDB(t, 0)
	recs := generate(chunkRows*2+7, t0)
	if err := s.Write(recs); err != nil {
		t.Fatal(err)
	}
	var n, chunks int
	if err := s.db.QueryRow(`SELECT SUM(n), COUNT(*) FROM chunks`).Scan(&n, &chunks); err != nil || n != len(recs) || chunks != 3 {
		t.Fatalf("stored %d of %d records in %d chunks: %v", n, len(recs), chunks, err)
	}
	got, err := s.Search(context.Background(), Query{Limit: len(recs)})
	if err != nil || len(got) != len(recs) {
		t.Fatalf("read back %d records: %v", len(got), err)
	}
	for i := range got {
		want := recs[len(recs)-1-i] // newest first
		if !got[i].Time.Equal(want.Time.Truncate(time.Microsecond)) {
			t.Fatalf("record %d at %v, want %v", i, got[i].Time, want.Time)
		}
		got[i].Time = want.Time
		if got[i] != want {
			t.Fatalf("record %d read back as %+v, want %+v", i, got[i], want)
		}
	}
}
