package querylog

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/cleandns/cleandns/query"
)

// Deps are what the process gives the Logger.
type Deps struct {
	Logger  *zap.Logger
	Dropped prometheus.Counter // cleandns_querylog_dropped_total
	Now     func() time.Time   // retention's clock; time.Now when nil
}

// Logger is the query log: a recorder of finished queries (resolver.Recorder) in front of a Store.
type Logger struct {
	cfg     Config
	store   Store
	log     *zap.Logger
	dropped prometheus.Counter
	now     func() time.Time

	ch     chan entry
	ctl    chan control
	done   chan struct{}
	closed sync.Once
	wg     sync.WaitGroup
}

// pruneEvery is how often retention runs.
const pruneEvery = time.Minute

// New opens the store cfg names and starts the writer. The caller Closes it.
func New(cfg Config, deps Deps) (*Logger, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Format, cfg.Client = strings.ToLower(cfg.Format), strings.ToLower(cfg.Client)
	if cfg.Path == "" {
		cfg.Path = DefaultPath(cfg.Format)
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Path), 0o750); err != nil {
		return nil, fmt.Errorf("querylog.path: %w", err)
	}
	var (
		st  Store
		err error
	)
	if cfg.Format == FormatJSONL {
		st, err = OpenJSONL(cfg.Path, int64(cfg.MaxSizeMB)<<20, cfg.MaxFiles)
	} else {
		st, err = OpenSQLite(cfg.Path, cfg.MaxRows)
	}
	if err != nil {
		return nil, fmt.Errorf("querylog.path %s: %w", cfg.Path, err)
	}
	return NewWithStore(cfg, st, deps), nil
}

// NewWithStore starts a Logger over an open store; New is the usual way.
func NewWithStore(cfg Config, st Store, deps Deps) *Logger {
	cfg.SetDefaults()
	l := &Logger{
		cfg: cfg, store: st, log: deps.Logger, dropped: deps.Dropped, now: deps.Now,
		ch:   make(chan entry, cfg.Buffer),
		ctl:  make(chan control),
		done: make(chan struct{}),
	}
	if l.log == nil {
		l.log = zap.NewNop()
	}
	if l.dropped == nil {
		l.dropped = prometheus.NewCounter(prometheus.CounterOpts{Name: "unregistered"})
	}
	if l.now == nil {
		l.now = time.Now
	}
	l.wg.Add(1)
	go l.run()
	return l
}

// Path is where the log is stored.
func (l *Logger) Path() string { return l.cfg.Path }

// Record queues a finished query. It never blocks: when the buffer is full
// the record is dropped and counted.
func (l *Logger) Record(req *query.Request, resp *query.Response, rcode int, d time.Duration) {
	select {
	case l.ch <- newEntry(req, resp, rcode, d):
	default:
		l.dropped.Inc()
	}
}

// Flush writes every record queued before the call, and returns the store's
// error, if any. Searches after Flush see those records.
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
// Records sent after Close are dropped.
func (l *Logger) Close() error {
	l.closed.Do(func() { close(l.done) })
	l.wg.Wait()
	return l.store.Close()
}

// Search, Top and PerHour search the store, or return ErrNotSearchable.
func (l *Logger) Search(ctx context.Context, q Query) ([]Record, error) {
	s, ok := l.store.(Searcher)
	if !ok {
		return nil, ErrNotSearchable
	}
	return s.Search(ctx, q)
}

// Top counts the most frequent names or clients since a time.
func (l *Logger) Top(ctx context.Context, kind TopKind, since time.Time, n int) ([]Count, error) {
	s, ok := l.store.(Searcher)
	if !ok {
		return nil, ErrNotSearchable
	}
	return s.Top(ctx, kind, since, n)
}

// PerHour counts queries per hour since a time.
func (l *Logger) PerHour(ctx context.Context, since time.Time) ([]HourCount, error) {
	s, ok := l.store.(Searcher)
	if !ok {
		return nil, ErrNotSearchable
	}
	return s.PerHour(ctx, since)
}
