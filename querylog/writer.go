package querylog

import (
	"time"

	"go.uber.org/zap"
)

// run is the writer goroutine: it gathers records into batches, writes a
// batch when it is full or FlushInterval has passed, and applies retention.
//
// After each write it rests, taking nothing from the buffer, for as long as
// keeps its share of one core at MaxWriterCPU. Storing a record costs far
// more than answering a query from the cache, so a writer that never rested
// would, under a flood, take the CPU the queries need; resting, it lets the
// buffer fill and the surplus records be dropped (and counted) cheaply.
func (l *Logger) run() {
	defer l.wg.Done()
	batch := make([]Record, 0, l.cfg.BatchSize)
	tick := time.NewTicker(l.cfg.FlushInterval)
	defer tick.Stop()
	prune := time.NewTicker(pruneEvery)
	defer prune.Stop()
	l.prune()
	in := l.ch                  // nil while resting
	var rested <-chan time.Time // fires when a rest ends
	rest := func(d time.Duration) {
		if r := l.restFor(d); r > 0 {
			in, rested = nil, time.After(r)
		}
	}
	for {
		select {
		case e := <-in:
			batch = append(batch, e.record(l.cfg.Client))
			if len(batch) >= l.cfg.BatchSize {
				batch = l.timedWrite(batch, rest)
			}
		case <-rested:
			in, rested = l.ch, nil
		case <-tick.C:
			if in != nil {
				batch = l.timedWrite(batch, rest)
			}
		case <-prune.C:
			l.prune()
		case c := <-l.ctl:
			batch = l.drain(batch)
			err := l.writeErr(batch)
			batch = batch[:0]
			if c.prune && err == nil {
				err = l.pruneErr()
			}
			c.reply <- err
		case <-l.done:
			batch = l.drain(batch)
			l.write(batch)
			return
		}
	}
}

// timedWrite writes batch and rests in proportion to the time it took.
func (l *Logger) timedWrite(batch []Record, rest func(time.Duration)) []Record {
	if len(batch) == 0 {
		return batch
	}
	start := time.Now()
	batch = l.write(batch)
	rest(time.Since(start))
	return batch
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

// drain moves what waits in the buffer into batch, writing full batches.
func (l *Logger) drain(batch []Record) []Record {
	for {
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
