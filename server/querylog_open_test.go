package server

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	_ "modernc.org/sqlite" // to hold the log's write lock, as a slow open would

	"github.com/cleandns/cleandns/internal/dnstest"
	"github.com/cleandns/cleandns/querylog"
)

// DNS must answer while the query log is still opening (its integrity
// check takes seconds on a large log), and the queries answered meanwhile
// are stored once it opens. Another connection holds the log's write lock,
// so the open waits on it for as long as the test says.
func TestDNSAnswersBeforeTheQueryLogOpens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "querylog.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE other (x)`); err != nil {
		t.Fatal(err)
	}
	lock, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.Exec(`INSERT INTO other VALUES (1)`); err != nil { // takes the write lock
		t.Fatal(err)
	}

	var hits atomic.Int64
	up := dnstest.NewServer(t, answerA(&hits))
	start := time.Now()
	s := boot(t, upstreamYAML(up)+"querylog:\n  path: "+path+"\n")
	addr := s.Addrs()[0]
	for _, name := range []string{"tiktok.com.", "example.com."} {
		ask(t, "udp", addr, name, dns.TypeA, true)
	}
	answered := time.Since(start)
	if _, err := s.qlog.Search(context.Background(), querylog.Query{}); err != querylog.ErrNotReady {
		t.Fatalf("search while the log is locked: %v, want ErrNotReady (the open did not wait?)", err)
	}
	if answered > 2*time.Second {
		t.Errorf("first answers took %v with the log still opening", answered)
	}

	if err := lock.Rollback(); err != nil {
		t.Fatal(err)
	}
	var recs []querylog.Record
	ok := eventually(t, func() bool {
		_ = s.qlog.Flush(context.Background())
		recs, _ = s.qlog.Search(context.Background(), querylog.Query{})
		return len(recs) == 2
	})
	if !ok {
		t.Fatalf("after the log opened: %d records, want the 2 answered while it was opening", len(recs))
	}
}
