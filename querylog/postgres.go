package querylog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"
)

// Postgres is the central query log for several instances
// (querylog.format: postgres): one table partitioned by day, each record
// with the instance that answered it, so a search through any instance
// finds every instance's queries. Retention drops whole days.
//
// PostgreSQL being down must never slow answers nor lose what fits: records
// the server cannot take wait in a backlog (as many as querylog.buffer) and
// go in with the next write that succeeds; beyond that the oldest give way
// and are counted as lost.
type Postgres struct {
	pool     *pgxpool.Pool
	instance string
	log      *zap.Logger
	now      func() time.Time

	// Writer side: only the Logger's writer goroutine touches these.
	backlog    []Record
	maxBacklog int
	hours      map[time.Time]HourCount // per-hour counts not yet added
	schemaOK   bool
	days       map[string]bool // partitions known to exist
	nextTry    time.Time       // while down, when to try again
	down       bool

	closeOnce sync.Once
}

// The tables. Names are fixed: one database holds one fleet's log.
const (
	pgTable  = "cleandns_querylog"
	pgHourly = "cleandns_querylog_hourly"
)

// pgRetry is how long the writer waits between attempts while PostgreSQL is
// unreachable, and pgTimeout bounds one attempt, so the writer comes back
// to the buffer quickly.
const (
	pgRetry   = time.Second
	pgTimeout = 2 * time.Second
)

// ErrLost reports records a store had to give up on; the Logger counts N
// of them as lost instead of the whole batch.
type ErrLost struct {
	N   int
	Err error
}

func (e *ErrLost) Error() string { return fmt.Sprintf("%d records lost: %v", e.N, e.Err) }
func (e *ErrLost) Unwrap() error { return e.Err }

// OpenPostgres prepares a store for dsn. It does not wait for the server:
// an instance starts, and answers, while PostgreSQL is down.
func OpenPostgres(dsn, instance string, backlog int, log *zap.Logger) (*Postgres, error) {
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's message can quote the DSN, password included.
		return nil, errors.New("querylog.dsn: not a PostgreSQL connection string (postgres://user:password@host:port/db)")
	}
	pc.MaxConns = 4
	pc.ConnConfig.ConnectTimeout = pgTimeout
	pool, err := pgxpool.NewWithConfig(context.Background(), pc)
	if err != nil {
		return nil, fmt.Errorf("querylog.dsn: %w", redactPG(err))
	}
	if log == nil {
		log = zap.NewNop()
	}
	return &Postgres{pool: pool, instance: instance, log: log, now: time.Now,
		maxBacklog: max(backlog, 1), hours: map[time.Time]HourCount{}, days: map[string]bool{}}, nil
}

// Write stores the backlog and batch with COPY. While the server is
// unreachable the records wait (see Postgres); only those pushed out of a
// full backlog are reported lost.
func (p *Postgres) Write(batch []Record) error {
	p.backlog = append(p.backlog, batch...)
	var lost int
	if over := len(p.backlog) - p.maxBacklog; over > 0 {
		lost = over
		p.backlog = append(p.backlog[:0], p.backlog[over:]...)
	}
	err := p.flush()
	if lost > 0 {
		return &ErrLost{N: lost, Err: fmt.Errorf("PostgreSQL backlog full: %w", orUnavailable(err))}
	}
	return nil
}

func orUnavailable(err error) error {
	if err == nil {
		return errors.New("PostgreSQL was unavailable")
	}
	return err
}

// flush tries to write the backlog, unless a recent attempt failed.
func (p *Postgres) flush() error {
	if len(p.backlog) == 0 && len(p.hours) == 0 {
		return nil
	}
	now := p.now()
	if p.down && now.Before(p.nextTry) {
		return errors.New("PostgreSQL unavailable, retrying")
	}
	ctx, cancel := context.WithTimeout(context.Background(), pgTimeout)
	defer cancel()
	err := p.copyIn(ctx)
	if err != nil {
		if !p.down {
			p.log.Warn("query log: PostgreSQL unavailable; records wait in the backlog", zap.Int("backlog", len(p.backlog)), zap.Error(redactPG(err)))
		}
		p.down, p.nextTry = true, now.Add(pgRetry)
		return redactPG(err)
	}
	if p.down {
		p.log.Info("query log: PostgreSQL back; backlog written")
	}
	p.down = false
	return nil
}

func (p *Postgres) copyIn(ctx context.Context) error {
	if !p.schemaOK {
		if err := p.createSchema(ctx); err != nil {
			return err
		}
		p.schemaOK = true
	}
	for _, r := range p.backlog {
		if err := p.ensureDay(ctx, r.Time); err != nil {
			return err
		}
	}
	if len(p.backlog) > 0 {
		src := &recordSource{recs: p.backlog, instance: p.instance, row: make([]any, len(pgColumns))}
		if _, err := p.pool.CopyFrom(ctx, pgx.Identifier{pgTable}, pgColumns, src); err != nil {
			return err
		}
		clear(p.backlog)
		p.backlog = p.backlog[:0]
	}
	return p.addHours(ctx)
}

var pgColumns = []string{"ts", "instance", "client", "protocol", "name", "qtype", "result", "grp", "list", "rule", "upstream", "reason", "rcode", "duration_us", "client_id"}

// recordSource feeds COPY from the backlog, reusing one row.
type recordSource struct {
	recs     []Record
	i        int
	instance string
	row      []any
}

func (s *recordSource) Next() bool { s.i++; return s.i <= len(s.recs) }
func (s *recordSource) Err() error { return nil }
func (s *recordSource) Values() ([]any, error) {
	r := &s.recs[s.i-1]
	s.row[0], s.row[1], s.row[2], s.row[3] = r.Time, s.instance, r.Client, r.Protocol
	s.row[4], s.row[5], s.row[6], s.row[7] = r.Name, r.Type, r.Result, r.Group
	s.row[8], s.row[9], s.row[10], s.row[11] = r.List, r.Rule, r.Upstream, r.Reason
	s.row[12], s.row[13], s.row[14] = int16(r.Rcode), r.Duration.Microseconds(), r.ClientID
	return s.row, nil
}

// AddHourly adds the counters' per-hour totals (every query, dropped
// records included) to this instance's rows; PerHour sums the fleet.
func (p *Postgres) AddHourly(hours []HourCount) error {
	for _, h := range hours {
		c := p.hours[h.Hour]
		c.Hour, c.Total, c.Blocked = h.Hour, c.Total+h.Total, c.Blocked+h.Blocked
		p.hours[h.Hour] = c
	}
	return nil // written with the next flush; kept while PostgreSQL is down
}

func (p *Postgres) addHours(ctx context.Context) error {
	for hour, c := range p.hours {
		_, err := p.pool.Exec(ctx, `INSERT INTO `+pgHourly+` (instance, hour, total, blocked) VALUES ($1, $2, $3, $4)
			ON CONFLICT (instance, hour) DO UPDATE SET total = `+pgHourly+`.total + EXCLUDED.total, blocked = `+pgHourly+`.blocked + EXCLUDED.blocked`,
			p.instance, hour, c.Total, c.Blocked)
		if err != nil {
			return err
		}
		delete(p.hours, hour)
	}
	return nil
}

// Close writes what it can within a short time and closes the pool.
func (p *Postgres) Close() error {
	var err error
	p.closeOnce.Do(func() {
		p.down = false // one last attempt
		if len(p.backlog) > 0 {
			if ferr := p.flush(); ferr != nil {
				err = &ErrLost{N: len(p.backlog), Err: ferr}
			}
		}
		p.pool.Close()
	})
	return err
}
