package querylog

import (
	"errors"
	"net/netip"
	"time"

	"go.uber.org/zap"
)

// pollEvery is how often the writer looks at the buffer. It never waits on
// the buffer itself: a writer woken by each record would cost a goroutine
// (and, with more than one P, a thread) switch per query on the hot path.
// Polling costs 20 wake-ups a second.
const pollEvery = 50 * time.Millisecond

// run is the writer goroutine: it opens the store, then every pollEvery
// writes what waits when there is a batch's worth or the oldest record has
// waited FlushInterval, and applies retention every pruneEvery. Records
// are committed within FlushInterval, a poll and a write of being
// answered, so a kill loses at most that much.
//
// It works in short stretches (the store pauses between chunks) at normal
// priority: an idle-priority thread would hold its P while the kernel
// starves it, and stall every GC stop-the-world on a busy host. After each
// write it also rests, taking nothing from the buffer, for as long as keeps
// its share of one core at MaxWriterCPU; while it rests the buffer fills
// and, when full, the oldest records give way (counted).
func (l *Logger) run() {
	defer l.wg.Done()
	l.openStore()
	w := batcher{l: l, tally: newTally()}
	poll := time.NewTicker(min(pollEvery, l.cfg.FlushInterval))
	defer poll.Stop()
	prune := time.NewTicker(pruneEvery)
	defer prune.Stop()
	l.prune()
	for {
		select {
		case <-poll.C:
			w.poll(time.Now())
		case <-prune.C:
			if l.store == nil {
				l.openStore() // a lock held by another process, a folder not yet mounted
			}
			l.prune()
			l.counts.compact()
		case c := <-l.ctl:
			err := w.writeAll()
			if c.prune && err == nil {
				err = l.pruneErr()
			}
			c.reply <- err
		case <-l.done:
			_ = w.writeAll()
			return
		}
	}
}

// openStore opens the store, logging what the open found, and tells the
// searches either way. A failed open is retried every pruneEvery.
func (l *Logger) openStore() {
	start := time.Now()
	st, err := l.open()
	l.opened.Store(&opened{store: st, err: err})
	if err != nil {
		l.err = err
		l.log.Error("query log unavailable: records are dropped and counted; retrying every minute",
			zap.String("path", l.cfg.Path), zap.Error(err))
		return
	}
	l.store, l.err = st, nil
	if s, ok := st.(*SQLite); ok {
		if s.Aside != "" {
			l.log.Warn("query log was corrupt: moved aside, a new log started", zap.String("path", l.cfg.Path),
				zap.String("moved_to", s.Aside), zap.Strings("removed_older", s.Pruned))
		}
		if s.Migrated > 0 {
			l.log.Info("query log moved to the chunked format", zap.Int64("records", s.Migrated))
		}
	}
	l.log.Debug("query log open", zap.String("path", l.cfg.Path), zap.Duration("took", time.Since(start)))
}

// batcher is the writer's state between polls.
type batcher struct {
	l      *Logger
	batch  []Record
	runs   [][]entry             // what the last take returned, by lane
	tally  *tally                // the batch's names, clients and lists, for the counters
	names  map[netip.Addr]string // clients as stored, so each is rendered once
	rested time.Time             // no work before this: the writer rests
	debt   time.Duration         // rest earned and not yet taken
}

// poll writes what waits when it is a batch, or the oldest has waited
// FlushInterval, unless the writer rests. A rest is at most half
// FlushInterval, the rest of what a write earned carried to the next: one
// costly write (a checkpoint, a retention step) would otherwise rest for
// a second, while 20,000 records a second overflow the buffer, and
// records would wait longer than a kill may lose. Over time the share
// holds.
func (b *batcher) poll(now time.Time) {
	if now.Before(b.rested) {
		return
	}
	n, oldest := b.l.waiting()
	if n == 0 || (n < b.l.cfg.BatchSize && now.Sub(oldest) < b.l.cfg.FlushInterval-pollEvery/2) {
		return
	}
	start, before := time.Now(), b.paused()
	cpu0, ok0 := processCPU()
	_ = b.writeAll()
	end, after := time.Now(), b.paused()
	cpu1, ok1 := processCPU()
	work := end.Sub(start) - (after.wall - before.wall)
	if ok0 && ok1 {
		// The clock counts the time the core ran others' work (another
		// process's, when the core is shared); the process's CPU counts the
		// queries answered on other cores. The smaller is the nearer.
		work = min(work, cpu1-cpu0-(after.cpu-before.cpu))
	}
	b.debt += b.l.restFor(work)
	rest := min(b.debt, b.l.cfg.FlushInterval/2)
	b.debt -= rest
	b.rested = end.Add(rest)
}

// writeAll takes every record waiting and writes it, counting the records
// a failed write lost. A failed batch is not retried: the log must not
// grow without bound while the disk is full.
func (b *batcher) writeAll() error {
	l := b.l
	b.runs = l.take(b.runs)
	b.batch = b.batch[:0]
	// Turning a batch into records is work on the queries' core as much as
	// the store's writing is, and a batch after a rest is thousands of
	// records: at 15,000 misses/s this stretch ran 3-8 ms without a pause,
	// and each one held up every query that arrived meanwhile (issue 22's
	// periodic slow spells). So it pauses as the store does.
	p, _ := l.store.(pauser)
	merge(b.runs, func(e *entry) {
		b.tally.add(l.counts, e)
		b.batch = append(b.batch, e.record(b.client(e.client), storedID(e.clientID, l.cfg.Client)))
		if p != nil && len(b.batch)%pauseCheck == 0 {
			p.pause()
		}
	})
	// Neither the taken records nor the batch (below) keep their names
	// alive once written: a buffer's worth of dead strings would be marked
	// by every garbage collection until overwritten (issue 22).
	for _, r := range b.runs {
		clear(r)
	}
	defer func() { clear(b.batch) }()
	b.tally.merge(l.counts)
	hours := l.counts.takeHourly()
	if l.store == nil {
		l.lost[iUnavailable].Add(float64(len(b.batch)))
		return l.err
	}
	err := l.writeErr(b.batch)
	if err != nil {
		// A store that keeps a backlog (PostgreSQL) says how many it gave up.
		n := len(b.batch)
		var el *ErrLost
		if errors.As(err, &el) {
			n = el.N
		}
		l.lost[iWriteError].Add(float64(n))
		l.log.Warn("query log write failed: records lost", zap.Int("records", n), zap.Error(err))
	}
	if h, ok := l.store.(hourlyAdder); ok && len(hours) > 0 {
		if herr := h.AddHourly(hours); herr != nil && err == nil {
			err = herr
			l.log.Warn("query log hourly counts failed", zap.Error(herr))
		}
	}
	return err
}

// client is a as stored (see privacy), from a cache: a network's clients
// are few, and rendering one allocates.
func (b *batcher) client(a netip.Addr) string {
	if s, ok := b.names[a]; ok {
		return s
	}
	if b.names == nil || len(b.names) >= 4096 {
		b.names = make(map[netip.Addr]string)
	}
	s := privacy(a, b.l.cfg.Client)
	b.names[a] = s
	return s
}

// hourlyAdder is a store that keeps per-hour counts (SQLite).
type hourlyAdder interface{ AddHourly([]HourCount) error }

// pauser is a store that pauses for the queries while it writes (SQLite):
// pause yields once it has worked pauseAfter since the last pause, and
// Paused says how long the pauses took.
type pauser interface {
	Paused() Pauses
	pause()
}

// pauseCheck is how many records the writer turns into a batch between
// asking the store whether to pause: a few µs of work, so the check costs
// little and pauseAfter is overrun by little.
const pauseCheck = 64

// paused is the store's Paused, or nothing for a store that never pauses.
func (b *batcher) paused() Pauses {
	if p, ok := b.l.store.(pauser); ok {
		return p.Paused()
	}
	return Pauses{}
}

// restFor is how long to rest after working for d, to keep the writer's
// share at MaxWriterCPU: share = d / (d + rest).
func (l *Logger) restFor(d time.Duration) time.Duration {
	f := l.cfg.MaxWriterCPU
	if f <= 0 || f >= 1 {
		return 0
	}
	return time.Duration(float64(d) * (1 - f) / f)
}

func (l *Logger) writeErr(batch []Record) error {
	if len(batch) == 0 {
		return nil
	}
	return l.store.Write(batch)
}

// prune applies retention by age and size.
func (l *Logger) prune() {
	if err := l.pruneErr(); err != nil {
		l.log.Warn("query log retention failed", zap.Error(err))
	}
}

func (l *Logger) pruneErr() error {
	if l.store == nil {
		return l.err
	}
	var cutoff time.Time
	if l.cfg.Retention > 0 {
		cutoff = l.now().Add(-l.cfg.Retention)
	}
	n, err := l.store.Prune(cutoff)
	if n > 0 {
		l.log.Debug("query log retention", zap.Int64("removed", n))
	}
	return err
}
