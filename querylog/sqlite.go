package querylog

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, pure Go
)

// SQLite is the searchable store: records in chunks (see chunk.go), one
// row each, indexed by their time span, and counts per hour.
type SQLite struct {
	db      *sql.DB
	maxRows int
	enc     *chunkEncoder
	yield   func()    // between chunks: yieldToQueries, or nothing in benchmarks of the store's own cost
	paused  Pauses    // spent in yield so far
	worked  time.Time // when the writer last came back from a pause

	// Aside is where a corrupt log found at open was moved, and Pruned the
	// older moved-aside logs removed then; empty when there were none.
	Aside  string
	Pruned []string
	// Migrated is how many records of the older row-per-record format
	// were moved into chunks at open.
	Migrated int64
}

var (
	_ Store    = (*SQLite)(nil)
	_ Searcher = (*SQLite)(nil)
)

const schema = `
CREATE TABLE IF NOT EXISTS chunks (
	id       INTEGER PRIMARY KEY,
	first_ts INTEGER NOT NULL, -- Unix microseconds of the chunk's earliest record
	last_ts  INTEGER NOT NULL, -- and of its latest
	n        INTEGER NOT NULL, -- records in the chunk
	data     BLOB NOT NULL
);
-- One entry per chunk, not per record: cheap to keep up to date.
CREATE INDEX IF NOT EXISTS chunks_last ON chunks(last_ts);
-- Counts per hour, kept up to date by Write: reading a week of hours takes
-- nothing.
CREATE TABLE IF NOT EXISTS hourly (
	hour    INTEGER PRIMARY KEY, -- Unix hours
	total   INTEGER NOT NULL,
	blocked INTEGER NOT NULL
);
`

// OpenSQLite opens (creating if need be) the database at path in WAL mode.
// maxRows caps the records Prune keeps; 0 means no cap.
//
// The log is written without fsync (synchronous=OFF) and checkpointed every
// 128 pages: an fsync or a long checkpoint holds the writer's core, and so
// the queries', for milliseconds. A commit reaches the operating system at
// once, so a kill of cleandns loses only what the writer had not yet
// committed (at most flush_interval and a write); a power cut may lose
// recent records or, rarely, corrupt the file. The next open finds that
// (quick_check) and moves the file aside (path.corrupt-<time>, keeping the
// newest keepCorrupt) before starting a new log.
func OpenSQLite(path string, maxRows int) (*SQLite, error) {
	db, err := openSQLite(path)
	var aside string
	var pruned []string
	if err != nil && isCorrupt(err) {
		var merr error
		if aside, pruned, merr = moveAside(path, time.Now()); merr != nil {
			return nil, fmt.Errorf("%w (moving it aside: %v)", err, merr)
		}
		db, err = openSQLite(path)
	}
	if err != nil {
		return nil, err
	}
	s := &SQLite{db: db, maxRows: maxRows, enc: newChunkEncoder(), yield: yieldToQueries, Aside: aside, Pruned: pruned}
	if s.Migrated, err = s.migrate(); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate the older format: %w", err)
	}
	return s, nil
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

// Write stores recs in one transaction, chunkRows records a chunk, so a
// batch is stored whole or not at all and the caller can count what was
// lost. Between chunks it pauses for the queries.
func (s *SQLite) Write(recs []Record) (err error) {
	if len(recs) == 0 {
		return nil
	}
	tx, err := s.db.Begin()
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err := s.writeChunks(tx, recs); err != nil {
		return err
	}
	return tx.Commit()
}

// writeChunks inserts recs as chunks, pausing for the queries between them.
func (s *SQLite) writeChunks(tx *sql.Tx, recs []Record) error {
	ins, err := tx.Prepare(`INSERT INTO chunks (first_ts, last_ts, n, data) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	for len(recs) > 0 {
		n := min(len(recs), chunkRows)
		data := s.enc.encode(recs[:n])
		if _, err := ins.Exec(s.enc.first.UnixMicro(), s.enc.last.UnixMicro(), n, data); err != nil {
			return err
		}
		recs = recs[n:]
		s.pause()
	}
	return nil
}

// pauseAfter is how long the writer works between pauses for the queries:
// on one core they wait at most that long behind it. Pausing after every
// chunk instead cost more than the work on a busy core: each pause is a
// sleep, and a sleeping thread waits for the kernel to run it again
// (10-20 ms a pause measured on the shared benchmark machine, so a
// 16,000-record write took a second and the buffer overflowed meanwhile).
const pauseAfter = time.Millisecond

// pause yields to the queries, when the writer has worked pauseAfter since
// the last pause, and counts the time, and the process's CPU, it took.
func (s *SQLite) pause() {
	start := time.Now()
	if start.Sub(s.worked) < pauseAfter {
		return
	}
	defer func() { s.worked = time.Now() }()
	cpu0, ok0 := processCPU()
	s.yield()
	cpu1, ok1 := processCPU()
	s.paused.wall += time.Since(start)
	if ok0 && ok1 {
		s.paused.cpu += cpu1 - cpu0
	}
}

// Pauses are how long Write and Prune have paused for the queries, by the
// clock and in the process's CPU time (the queries answered meanwhile).
type Pauses struct{ wall, cpu time.Duration }

// Paused is how long Write and Prune have paused for the queries so far:
// time that is not the writer's work, which its CPU share must not count.
// Like Write and Prune, only the writer goroutine calls it.
func (s *SQLite) Paused() Pauses { return s.paused }

// yieldToQueries pauses the writer for a moment so the DNS goroutines run.
// On one core (GOMAXPROCS=1) a yield alone is not enough: the scheduler
// would run the writer again before polling the network, and queries would
// wait for the next preemption, about 10 ms. A short sleep leaves the core
// idle, so the runtime polls the sockets and answers what has arrived.
func yieldToQueries() { time.Sleep(20 * time.Microsecond) }

// AddHourly adds per-hour counts to the rollup. The Logger's counters
// feed it, so it counts every query, dropped records included.
func (s *SQLite) AddHourly(hours []HourCount) error {
	for _, h := range hours {
		if _, err := s.db.Exec(`INSERT INTO hourly (hour, total, blocked) VALUES (?, ?, ?)
			ON CONFLICT(hour) DO UPDATE SET total = total + excluded.total, blocked = blocked + excluded.blocked`,
			h.Hour.Unix()/3600, h.Total, h.Blocked); err != nil {
			return err
		}
	}
	return nil
}

// Close checkpoints the WAL and closes the database.
func (s *SQLite) Close() error {
	_, _ = s.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	return s.db.Close()
}
