package querylog

import (
	"time"

	"go.uber.org/zap"
)

// pollEvery is how often the writer takes what waits in the buffer. It
// never waits on the buffer itself: a writer parked on the channel is woken
// by each record sent, a goroutine (and, with more than one P, a thread)
// switch per query on the hot path. Polling costs 20 wake-ups a second.
const pollEvery = 50 * time.Millisecond

// run is the writer goroutine: every pollEvery it takes the records that
// wait, writes a batch when it is full or its oldest record has waited
// FlushInterval, and applies retention.
//
// It works in short stretches (the store pauses every few rows, commits
// small transactions) at normal priority: an idle-priority thread would
// hold its P while the kernel starves it, and stall every GC stop-the-world
// on a busy host. After each write it also rests, taking nothing from the
// buffer, for as long as keeps its share of one core at MaxWriterCPU; while
// it rests the buffer fills and the surplus records are dropped (and
// counted) cheaply.
func (l *Logger) run() {
	defer l.wg.Done()
	w := batcher{l: l, batch: make([]Record, 0, l.cfg.BatchSize)}
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
			l.prune()
		case c := <-l.ctl:
			w.batch = l.drain(w.batch)
			err := l.writeErr(w.batch)
			w.batch = w.batch[:0]
			if c.prune && err == nil {
				err = l.pruneErr()
			}
			c.reply <- err
		case <-l.done:
			w.batch = l.drain(w.batch)
			l.write(w.batch)
			return
		}
	}
}

// batcher is the writer's state between polls.
type batcher struct {
	l      *Logger
	batch  []Record
	oldest time.Time // when the first record of batch was taken
	rested time.Time // no work before this: the writer rests
}

// poll takes what waits in the buffer, writing each full batch, and writes
// a partial one whose oldest record has waited FlushInterval.
func (b *batcher) poll(now time.Time) {
	if now.Before(b.rested) {
		return
	}
	// At most what waits now: under a flood that outruns the store, the
	// loop must come back to retention, Flush and Close.
	for left, taking := len(b.l.ch), true; taking && left > 0; left-- {
		select {
		case e := <-b.l.ch:
			if len(b.batch) == 0 {
				b.oldest = now
			}
			b.batch = append(b.batch, e.record(b.l.cfg.Client))
			if len(b.batch) >= b.l.cfg.BatchSize {
				b.write()
				// Rest if the share says so, and come back to the loop
				// after a poll's worth of work whatever the share.
				end := time.Now()
				taking = !end.Before(b.rested) && end.Sub(now) < pollEvery
			}
		default:
			taking = false
		}
	}
	if len(b.batch) > 0 && now.Sub(b.oldest) >= b.l.cfg.FlushInterval {
		b.write()
	}
}

// pauser is a store that pauses for the queries while it writes (SQLite).
type pauser interface{ Paused() time.Duration }

// write stores the batch and sets the rest its cost earns: the time it
// took, less the pauses the store made for the queries.
func (b *batcher) write() {
	start, before := time.Now(), b.paused()
	b.batch = b.l.write(b.batch)
	end := time.Now()
	b.rested = end.Add(b.l.restFor(end.Sub(start) - (b.paused() - before)))
}

// paused is the store's Paused, or 0 for a store that never pauses.
func (b *batcher) paused() time.Duration {
	if p, ok := b.l.store.(pauser); ok {
		return p.Paused()
	}
	return 0
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

// drain moves what waits in the buffer at the call into batch, writing
// full batches. Only that much: records sent meanwhile are the next poll's,
// or a flood could keep Flush from ever returning.
func (l *Logger) drain(batch []Record) []Record {
	for left := len(l.ch); left > 0; left-- {
		select {
		case e := <-l.ch:
			batch = append(batch, e.record(l.cfg.Client))
			if len(batch) >= l.cfg.BatchSize {
				batch = l.write(batch)
			}
		default:
			return batch
		}
	}
	return batch
}

// write stores batch and returns it emptied. A failed batch is logged and
// lost: the log must not grow without bound while the disk is full.
func (l *Logger) write(batch []Record) []Record {
	if err := l.writeErr(batch); err != nil {
		l.log.Warn("query log write failed", zap.Int("records", len(batch)), zap.Error(err))
	}
	return batch[:0]
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
