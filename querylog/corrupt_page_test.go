package querylog

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A power cut with synchronous=OFF tears data pages, not just page 1. Such a
// log opens fine; without the quick_check at open it was not moved aside,
// and every write failed from then on (found in review).
func TestTornPageMovedAside(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	s, err := OpenSQLite(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	s.yield = func() {}
	if err := s.Write(generate(5000, t0)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := f.Stat()
	junk := make([]byte, 4096)
	for i := range junk {
		junk[i] = 0xA5
	}
	// Tear a few pages in the second half of the file (table and index pages).
	for off := info.Size() / 2; off < info.Size()-4096; off += info.Size() / 8 {
		if _, err := f.WriteAt(junk, off&^4095); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	s, err = OpenSQLite(path, 0)
	if err != nil {
		t.Logf("open: %v (moved aside: fine)", err)
		return
	}
	defer s.Close()
	s.yield = func() {}
	aside, _ := filepath.Glob(path + ".corrupt-*")
	if len(aside) != 1 {
		t.Errorf("torn log kept as %v, want moved aside once", aside)
	}
	var werr error
	for i := 0; i < 5; i++ {
		if werr = s.Write(generate(200, t0.Add(time.Duration(i)*time.Hour))); werr != nil {
			break
		}
	}
	_, perr := s.Prune(t0)
	var n int
	qerr := s.db.QueryRow(`PRAGMA quick_check`).Scan(new(sql.NullString))
	t.Logf("write: %v; prune: %v; quick_check scan: %v %d", werr, perr, qerr, n)
	if werr != nil || perr != nil {
		t.Errorf("a torn log opened without being moved aside, then failed: write %v, prune %v", werr, perr)
	}
}
