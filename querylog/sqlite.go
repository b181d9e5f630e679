package querylog

import (
	"database/sql"
	"fmt"
	"net/url"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, pure Go
)

// SQLite is the searchable store: one table, indexed for each search, and
// an FTS5 trigram index on the distinct names for substring search.
type SQLite struct {
	db      *sql.DB
	maxRows int
	names   map[string]int64 // name → names.id, the writer's cache
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
CREATE INDEX IF NOT EXISTS queries_client ON queries(client, ts);
CREATE INDEX IF NOT EXISTS queries_result ON queries(result, ts, name_id);
CREATE INDEX IF NOT EXISTS queries_name ON queries(name_id, ts);
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
func OpenSQLite(path string, maxRows int) (*SQLite, error) {
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(5000)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(4) // one writer and a few searches; WAL lets them overlap
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("create schema: %w", err)
	}
	return &SQLite{db: db, maxRows: maxRows, names: make(map[string]int64)}, nil
}

// Write inserts recs in one transaction.
func (s *SQLite) Write(recs []Record) (err error) {
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
		if i%16 == 15 {
			yieldToQueries()
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
		res, err := s.db.Exec(`DELETE FROM queries WHERE ts < ?`, cutoff.UnixMicro())
		if err != nil {
			return 0, err
		}
		n, _ := res.RowsAffected()
		removed += n
		if _, err := s.db.Exec(`DELETE FROM hourly WHERE hour < ?`, cutoff.Unix()/3600); err != nil {
			return removed, err
		}
	}
	if s.maxRows > 0 {
		// ids grow with time, so the oldest rows have the smallest ids.
		res, err := s.db.Exec(`DELETE FROM queries WHERE id <= (SELECT MAX(id) FROM queries) - ?`, s.maxRows)
		if err != nil {
			return removed, err
		}
		n, _ := res.RowsAffected()
		removed += n
	}
	return removed, nil
}

// Close checkpoints the WAL and closes the database.
func (s *SQLite) Close() error {
	_, _ = s.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	return s.db.Close()
}
