package querylog

import (
	"database/sql"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, pure Go
)

// SQLite is the searchable store: one table, indexed for each search, and
// an FTS5 trigram index on the distinct names for substring search.
type SQLite struct {
	db      *sql.DB
	maxRows int
	names   map[string]int64 // name → names.id, the writer's cache
	yield   func()           // between rows: yieldToQueries, or nothing in benchmarks of the store's own cost
	paused  time.Duration    // time spent in yield so far (see Paused)
}

var (
	_ Store    = (*SQLite)(nil)
	_ Searcher = (*SQLite)(nil)
)

// Names live in their own table: a million queries have only a few
// thousand distinct names, so rows stay small, and substring search scans
// (through the trigram index) the names, not the queries.
const schema = `
CREATE TABLE IF NOT EXISTS names (
	id   INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE IF NOT EXISTS names_fts USING fts5(
	name, content='names', content_rowid='id', tokenize='trigram'
);
CREATE TRIGGER IF NOT EXISTS names_ai AFTER INSERT ON names BEGIN
	INSERT INTO names_fts(rowid, name) VALUES (new.id, new.name);
END;
CREATE TABLE IF NOT EXISTS queries (
	id          INTEGER PRIMARY KEY,
	ts          INTEGER NOT NULL, -- Unix microseconds
	client      TEXT NOT NULL,
	protocol    TEXT NOT NULL,
	name_id     INTEGER NOT NULL REFERENCES names(id),
	qtype       TEXT NOT NULL,
	result      TEXT NOT NULL,
	grp         TEXT NOT NULL,
	list        TEXT NOT NULL,
	rule        TEXT NOT NULL,
	upstream    TEXT NOT NULL,
	reason      TEXT NOT NULL,
	rcode       INTEGER NOT NULL,
	duration_us INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS queries_ts ON queries(ts);
CREATE INDEX IF NOT EXISTS queries_result ON queries(result, ts, name_id);
-- No index by client or by name: their entries land on pages all over the
-- index, so each commit rewrote hundreds of pages and writes cost 3x more
-- (commits 10x longer, and a commit holds a core). Searches by client or
-- name scan the rows newest first instead (see docs/benchmarks.md).
DROP INDEX IF EXISTS queries_client;
DROP INDEX IF EXISTS queries_name;
-- Counts per hour, kept up to date by Write: grouping a million rows by
-- hour takes most of a second, reading a week of hours takes nothing.
CREATE TABLE IF NOT EXISTS hourly (
	hour    INTEGER PRIMARY KEY, -- Unix hours
	total   INTEGER NOT NULL,
	blocked INTEGER NOT NULL
);
`

// OpenSQLite opens (creating if need be) the database at path in WAL mode.
// maxRows caps the rows Prune keeps; 0 means no cap.
//
// The log is written without fsync (synchronous=OFF) and checkpointed every
// 128 pages: an fsync or a long checkpoint holds the writer's core, and so
// the queries', for milliseconds. A crash of cleandns loses nothing; a power
// cut may lose recent records or, rarely, corrupt the file, which the next
// start moves aside (path.corrupt-<time>) before starting a new log.
func OpenSQLite(path string, maxRows int) (*SQLite, error) {
	db, err := openSQLite(path)
	if err != nil && isCorrupt(err) {
		aside := fmt.Sprintf("%s.corrupt-%d", path, time.Now().Unix())
		if rerr := os.Rename(path, aside); rerr != nil {
			return nil, fmt.Errorf("%w (moving it aside: %v)", err, rerr)
		}
		for _, ext := range []string{"-wal", "-shm"} {
			_ = os.Rename(path+ext, aside+ext)
		}
		db, err = openSQLite(path)
	}
	if err != nil {
		return nil, err
	}
	return &SQLite{db: db, maxRows: maxRows, names: make(map[string]int64), yield: yieldToQueries}, nil
}

func openSQLite(path string) (*sql.DB, error) {
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)&_pragma=wal_autocheckpoint(128)" +
		"&_pragma=busy_timeout(5000)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(4) // one writer and a few searches; WAL lets them overlap
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("create schema: %w", err)
	}
	// A power cut may tear any page, and such a file still opens; without
	// this check every later write would fail on it.
	var check string
	if err := db.QueryRow(`PRAGMA quick_check(1)`).Scan(&check); err != nil || check != "ok" {
		db.Close()
		if err == nil {
			err = fmt.Errorf("%w: %s", errCorrupt, check)
		}
		return nil, fmt.Errorf("check: %w", err)
	}
	return db, nil
}

// errCorrupt is quick_check finding damage.
var errCorrupt = errors.New("database disk image is malformed")

// isCorrupt reports whether err says the file is not a usable database.
func isCorrupt(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "malformed") || strings.Contains(msg, "not a database")
}

// txRows is the most records one transaction holds. A commit writes every
// page the transaction touched in one go, holding the writer's core: 256
// records commit in about half a millisecond, 1,000 took several.
const txRows = 256

// Write inserts recs in transactions of at most txRows records. On an error
// the failing transaction is rolled back; those before it stay written.
func (s *SQLite) Write(recs []Record) error {
	for len(recs) > 0 {
		n := min(len(recs), txRows)
		if err := s.writeTx(recs[:n]); err != nil {
			return err
		}
		recs = recs[n:]
	}
	return nil
}

func (s *SQLite) writeTx(recs []Record) (err error) {
	tx, err := s.db.Begin()
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
			s.names = make(map[string]int64) // ids of the rolled-back names are void
		}
	}()
	ins, err := tx.Prepare(`INSERT INTO queries (ts, client, protocol, name_id, qtype, result, grp, list, rule, upstream, reason, rcode, duration_us)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	if err := addHourly(tx, recs); err != nil {
		return err
	}
	for i := range recs {
		if i%4 == 3 {
			s.pause()
		}
		r := &recs[i]
		id, err := s.nameID(tx, r.Name)
		if err != nil {
			return err
		}
		if _, err := ins.Exec(r.Time.UnixMicro(), r.Client, r.Protocol, id, r.Type, r.Result, r.Group, r.List, r.Rule,
			r.Upstream, r.Reason, r.Rcode, r.Duration.Microseconds()); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// pause yields to the queries and counts the time it took.
func (s *SQLite) pause() {
	start := time.Now()
	s.yield()
	s.paused += time.Since(start)
}

// Paused is how long Write and Prune have paused for the queries so far:
// time that is not the writer's work, which its CPU share must not count.
// Like Write and Prune, only the writer goroutine calls it.
func (s *SQLite) Paused() time.Duration { return s.paused }

// yieldToQueries pauses the writer for a moment so the DNS goroutines run.
// On one core (GOMAXPROCS=1) a yield alone is not enough: the scheduler
// would run the writer again before polling the network, and queries would
// wait for the next preemption, about 10 ms. A short sleep leaves the core
// idle, so the runtime polls the sockets and answers what has arrived.
func yieldToQueries() { time.Sleep(20 * time.Microsecond) }

// addHourly adds recs to the per-hour counts.
func addHourly(tx *sql.Tx, recs []Record) error {
	type count struct{ total, blocked int64 }
	hours := map[int64]*count{}
	for i := range recs {
		h := recs[i].Time.Unix() / 3600
		c := hours[h]
		if c == nil {
			c = &count{}
			hours[h] = c
		}
		c.total++
		if recs[i].Result == "blocked" {
			c.blocked++
		}
	}
	for h, c := range hours {
		if _, err := tx.Exec(`INSERT INTO hourly (hour, total, blocked) VALUES (?, ?, ?)
			ON CONFLICT(hour) DO UPDATE SET total = total + excluded.total, blocked = blocked + excluded.blocked`,
			h, c.total, c.blocked); err != nil {
			return err
		}
	}
	return nil
}

// nameID returns the id of name, inserting it when new.
func (s *SQLite) nameID(tx *sql.Tx, name string) (int64, error) {
	if id, ok := s.names[name]; ok {
		return id, nil
	}
	var id int64
	err := tx.QueryRow(`INSERT INTO names (name) VALUES (?) ON CONFLICT(name) DO UPDATE SET name = name RETURNING id`, name).Scan(&id)
	if err != nil {
		return 0, err
	}
	if len(s.names) > 100_000 {
		s.names = make(map[string]int64) // bound the cache; it refills from the table
	}
	s.names[name] = id
	return id, nil
}

// Prune deletes rows older than cutoff, then the oldest beyond maxRows.
// Names no longer used stay: they are few, and cheap to keep. Hourly counts
// follow the age limit only: they count the queries seen in each hour,
// including rows the row cap removed.
func (s *SQLite) Prune(cutoff time.Time) (int64, error) {
	var removed int64
	if !cutoff.IsZero() {
		// Ids grow with time, nearly: rows are stored in the order queries
		// finish, stamped with the clock, which a device without a
		// battery-backed clock sets after its first queries. So the scan
		// goes by id up to the newest old row, and checks each row's time.
		var last sql.NullInt64
		if err := s.db.QueryRow(`SELECT MAX(id) FROM queries WHERE ts < ?`, cutoff.UnixMicro()).Scan(&last); err != nil {
			return 0, err
		}
		n, err := s.deleteThrough(last.Int64, cutoff.UnixMicro())
		removed += n
		if err != nil {
			return removed, err
		}
		if _, err := s.db.Exec(`DELETE FROM hourly WHERE hour < ?`, cutoff.Unix()/3600); err != nil {
			return removed, err
		}
	}
	if s.maxRows > 0 {
		var top sql.NullInt64
		if err := s.db.QueryRow(`SELECT MAX(id) FROM queries`).Scan(&top); err != nil {
			return removed, err
		}
		n, err := s.deleteThrough(top.Int64-int64(s.maxRows), math.MaxInt64)
		removed += n
		if err != nil {
			return removed, err
		}
	}
	return removed, nil
}

// pruneRows is the most rows one DELETE removes. A full log sheds a
// minute's records at a time, hundreds of thousands under load: in one
// statement that would hold the writer's core for seconds.
const pruneRows = 2000

// deleteThrough deletes the rows with ids up to last and times before
// before, oldest first, in statements of pruneRows, yielding to the
// queries between them.
func (s *SQLite) deleteThrough(last, before int64) (int64, error) {
	var first sql.NullInt64
	if err := s.db.QueryRow(`SELECT MIN(id) FROM queries`).Scan(&first); err != nil || !first.Valid {
		return 0, err
	}
	var removed int64
	for from := first.Int64; from <= last; from += pruneRows {
		res, err := s.db.Exec(`DELETE FROM queries WHERE id >= ? AND id < ? AND id <= ? AND ts < ?`, from, from+pruneRows, last, before)
		if err != nil {
			return removed, err
		}
		n, _ := res.RowsAffected()
		removed += n
		s.pause()
	}
	return removed, nil
}

// Close checkpoints the WAL and closes the database.
func (s *SQLite) Close() error {
	_, _ = s.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	return s.db.Close()
}
