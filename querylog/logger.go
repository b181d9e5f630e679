package querylog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/cleandns/cleandns/query"
)

// Deps are what the process gives the Logger.
type Deps struct {
	Logger *zap.Logger
	// Dropped is cleandns_querylog_dropped_total, by reason: overflow (the
	// buffer was full and the oldest record gave way), write_error (the
	// store failed, a full disk among others), unavailable (the log could
	// not be opened) and closed (recorded after Close).
	Dropped *prometheus.CounterVec
	Now     func() time.Time // retention's and the counters' clock; time.Now when nil
}

// The reasons of Deps.Dropped.
const (
	LostOverflow    = "overflow"
	LostWriteError  = "write_error"
	LostUnavailable = "unavailable"
	LostClosed      = "closed"
)

// NewDroppedCounter is the counter Deps.Dropped expects, unregistered.
func NewDroppedCounter(namespace string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "querylog_dropped_total",
		Help: "Query log records lost, by reason: overflow (buffer full, the oldest gave way), write_error (the store failed, e.g. a full disk), unavailable (the log could not be opened), closed. The queries were answered.",
	}, []string{"reason"})
}

// Logger is the query log: a recorder of finished queries (resolver.Recorder)
// in front of a Store. The
// store opens in the background (its integrity check takes seconds on a
// large log), so DNS answers at once; records wait in the buffer meanwhile.
type Logger struct {
	cfg    Config
	open   func() (Store, error)
	store  Store                  // the writer's; nil until open
	opened atomic.Pointer[opened] // the searches' view: nil while the first open runs
	err    error                  // the writer's: why the store did not open
	log    *zap.Logger
	now    func() time.Time
	counts *counters

	// lanes are the buffer and the last hour's minute counts (the console's
	// live chart), sharded by query.Request.Lane (lanes.go).
	lanes    []*lane
	lost     [4]prometheus.Counter // by reason, in the order of reasons
	isClosed atomic.Bool

	ctl    chan control
	done   chan struct{}
	closed sync.Once
	wg     sync.WaitGroup
}

var reasons = [...]string{LostOverflow, LostWriteError, LostUnavailable, LostClosed}

const (
	iOverflow = iota
	iWriteError
	iUnavailable
	iClosed
)

// pruneEvery is how often retention runs.
const pruneEvery = time.Minute

// ErrNotReady is returned by searches while the log is still opening.
var ErrNotReady = errors.New("query log is still opening")

// New checks cfg, starts the writer and returns; the writer opens the
// store cfg names in the background. The caller Closes it.
func New(cfg Config, deps Deps) (*Logger, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Format, cfg.Client = strings.ToLower(cfg.Format), strings.ToLower(cfg.Client)
	if cfg.Format == FormatPostgres {
		return newPostgres(cfg, deps)
	}
	if cfg.Path == "" {
		cfg.Path = DefaultPath(cfg.Format)
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Path), 0o750); err != nil {
		return nil, fmt.Errorf("querylog.path: %w", err)
	}
	open := func() (Store, error) {
		if cfg.Format == FormatJSONL {
			return OpenJSONL(cfg.Path, int64(cfg.MaxSizeMB)<<20, cfg.MaxFiles)
		}
		return OpenSQLite(cfg.Path, cfg.MaxRows)
	}
	return start(cfg, open, deps, laneCount(cfg.Buffer)), nil
}

// NewWithStore starts a Logger over an open store; New is the usual way.
func NewWithStore(cfg Config, st Store, deps Deps) *Logger {
	cfg.SetDefaults()
	return start(cfg, func() (Store, error) { return st, nil }, deps, laneCount(cfg.Buffer))
}

// NewOpening starts a Logger whose writer opens its store with open, in the
// background, as New does.
func NewOpening(cfg Config, open func() (Store, error), deps Deps) *Logger {
	cfg.SetDefaults()
	return start(cfg, open, deps, laneCount(cfg.Buffer))
}

// start starts a Logger whose buffer is split over lanes shards.
func start(cfg Config, open func() (Store, error), deps Deps, lanes int) *Logger {
	l := &Logger{
		cfg: cfg, open: open, log: deps.Logger, now: deps.Now,
		lanes: newLanes(cfg.Buffer, lanes),
		ctl:   make(chan control),
		done:  make(chan struct{}),
	}
	if l.log == nil {
		l.log = zap.NewNop()
	}
	if l.now == nil {
		l.now = time.Now
	}
	l.counts = newCounters(l.now())
	vec := deps.Dropped
	if vec == nil {
		vec = NewDroppedCounter("unregistered")
	}
	for i, r := range reasons {
		l.lost[i] = vec.WithLabelValues(r)
	}
	l.wg.Add(1)
	go l.run()
	return l
}

// Path is where the log is stored.
func (l *Logger) Path() string { return l.cfg.Path }

// Record queues a finished query's record (the counters count it as the
// writer takes it) and counts it in the last hour's minutes, both in the
// lane req.Lane names, which no other UDP loop takes. It never blocks: when
// the lane's share of the buffer is full the oldest record waiting in that
// lane gives way, counted.
func (l *Logger) Record(req *query.Request, resp *query.Response, rcode int, d time.Duration) {
	e := newEntry(req, resp, rcode, d)
	ln := l.laneOf(req)
	ln.recent.add(e.start, e.result)
	if l.isClosed.Load() {
		l.lost[iClosed].Inc()
		l.countKeys(&e)
		return
	}
	var old entry
	if ln.ring.push(&e, &old) {
		l.lost[iOverflow].Inc()
		ln.countLost(l.counts, &old)
	}
}

// countKeys counts a record the writer will never see, its totals and its
// name, client and list, so the counts and top lists stay exact under
// overload.
func (l *Logger) countKeys(e *entry) { l.counts.addEntry(e) }

// Flush writes every record queued before the call, and returns the store's
// error, if any. Searches after Flush see those records. It waits for the
// store to open.
func (l *Logger) Flush(ctx context.Context) error {
	return l.control(ctx, control{})
}

// Prune writes what is queued and applies retention now, as the writer
// does every minute.
func (l *Logger) Prune(ctx context.Context) error {
	return l.control(ctx, control{prune: true})
}

// control is a request to the writer goroutine, which alone touches the
// store's write side.
type control struct {
	prune bool
	reply chan error
}

func (l *Logger) control(ctx context.Context, c control) error {
	c.reply = make(chan error, 1)
	select {
	case l.ctl <- c:
	case <-l.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-c.reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close writes what is queued, stops the writer and closes the store.
// Records sent after Close are dropped and counted.
func (l *Logger) Close() error {
	l.closed.Do(func() { l.isClosed.Store(true); close(l.done) })
	l.wg.Wait()
	if l.store == nil {
		return nil
	}
	return l.store.Close()
}

// opened is the outcome of the last open.
type opened struct {
	store Store
	err   error
}

// searcher is the open store's search side.
func (l *Logger) searcher() (Searcher, error) {
	o := l.opened.Load()
	switch {
	case o == nil:
		return nil, ErrNotReady
	case o.err != nil:
		return nil, fmt.Errorf("query log unavailable: %w", o.err)
	}
	s, ok := o.store.(Searcher)
	if !ok {
		return nil, ErrNotSearchable
	}
	return s, nil
}

// Search searches the stored records, or returns ErrNotSearchable or ErrNotReady.
func (l *Logger) Search(ctx context.Context, q Query) ([]Record, error) {
	s, err := l.searcher()
	if err != nil {
		return nil, err
	}
	return s.Search(ctx, q)
}

// Top counts the most frequent names, blocked names, clients or lists
// since a time: from the counters for the last 24 hours (every query since
// the process started, dropped records included), else from the stored
// records.
func (l *Logger) Top(ctx context.Context, kind TopKind, since time.Time, n int) ([]Count, error) {
	if f, _ := kind.field(); f < 0 {
		_, err := ParseTopKind(string(kind))
		return nil, err
	}
	// A central log answers for the whole fleet; the counters know only
	// this instance.
	if s, err := l.searcher(); err == nil {
		if _, central := s.(*Postgres); central {
			return s.Top(ctx, kind, since, n)
		}
	}
	now := l.now()
	if l.counts.covers(since, now) {
		return l.counts.top(kind, since, now, n, l.cfg.Client), nil
	}
	s, err := l.searcher()
	if err != nil {
		return nil, err
	}
	return s.Top(ctx, kind, since, n)
}

// Totals counts the queries and blocked queries since a time, at most 24
// hours back and since the process started, from the counters.
func (l *Logger) Totals(since time.Time) Totals { return l.counts.totals(since, l.now()) }

// PerHour counts queries per hour since a time, from the store's rollup,
// which the counters feed (dropped records included).
func (l *Logger) PerHour(ctx context.Context, since time.Time) ([]HourCount, error) {
	s, err := l.searcher()
	if err != nil {
		return nil, err
	}
	return s.PerHour(ctx, since)
}

// newPostgres starts a Logger over the central PostgreSQL log. The store
// never waits for the server, so the Logger is ready at once.
func newPostgres(cfg Config, deps Deps) (*Logger, error) {
	if cfg.Instance == "" {
		cfg.Instance, _ = os.Hostname()
	}
	st, err := OpenPostgres(cfg.DSN, cfg.Instance, cfg.Buffer, deps.Logger)
	if err != nil {
		return nil, err
	}
	cfg.Path = "postgres (" + cfg.Instance + ")" // what Path and the status show: never the DSN
	return start(cfg, func() (Store, error) { return st, nil }, deps, laneCount(cfg.Buffer)), nil
}
