package querylog

import (
	"runtime"
	"sync"
	"time"

	"github.com/cleandns/cleandns/query"
)

// maxLanes caps the buffer's shards: more than the cores buys nothing.
const maxLanes = 64

// lane is one shard of the buffer and of the last hour's minute counts.
// A query takes the lane its Request names (query.Request.Lane, the UDP
// loop that read it), so each loop writes only its own lane and the loops
// share no lock or counter on the hot path; the writer drains every lane.
// Each lane is allocated on its own, and padded, so that two lanes never
// share a cache line.
type lane struct {
	ring   ring
	recent minutes
	spare  []entry // the writer's: swapped for the ring's buffer on take
	// lost tallies the records this lane's overflow lost, for the
	// counters: the writer merges it as it takes the lane's records, so a
	// flood of drops takes the lane's lock, not the counters' one.
	lostMu sync.Mutex
	lost   *tally
	_      [64]byte
}

// lostFlush is how many distinct names a lane's lost tally holds before it
// is merged at once: a flood of random names must not grow it unbounded.
const lostFlush = 4096

// countLost counts a record lost to overflow in the lane's tally.
func (ln *lane) countLost(c *counters, e *entry) {
	ln.lostMu.Lock()
	ln.lost.add(c, e)
	if len(ln.lost.names) >= lostFlush {
		ln.lost.merge(c)
	}
	ln.lostMu.Unlock()
}

// mergeLost adds the lane's lost tally to c.
func (ln *lane) mergeLost(c *counters) {
	ln.lostMu.Lock()
	ln.lost.merge(c)
	ln.lostMu.Unlock()
}

// laneCount is how many lanes a buffer of size records gets: one per
// usable core (the UDP loops' default), fewer when the buffer is smaller
// than that.
func laneCount(size int) int {
	return max(min(runtime.GOMAXPROCS(0), maxLanes, size), 1)
}

// newLanes splits size records over n lanes, the first size%n one larger.
func newLanes(size, n int) []*lane {
	size = max(size, 1)
	ls := make([]*lane, n)
	for i := range ls {
		s := size / n
		if i < size%n {
			s++
		}
		ls[i] = &lane{ring: ring{buf: make([]entry, s)}, spare: make([]entry, s), lost: newTally()}
	}
	return ls
}

// laneOf is the lane req records into.
func (l *Logger) laneOf(req *query.Request) *lane {
	i := uint(req.Lane) % uint(len(l.lanes))
	return l.lanes[i]
}

// take takes every record waiting in every lane, as runs each oldest first
// (two a lane at most), into runs[:0], and merges the lanes' lost tallies
// into the counters.
func (l *Logger) take(runs [][]entry) [][]entry {
	runs = runs[:0]
	for _, ln := range l.lanes {
		buf, head, n := ln.ring.take(ln.spare)
		ln.spare = buf
		first, second := taken(buf, head, n)
		runs = append(runs, first, second)
		ln.mergeLost(l.counts)
	}
	return runs
}

// merge calls f for the records of runs in the order they started: each
// run is in the order its lane recorded them, and the lanes are merged by
// start time so the store gets one time-ordered stream, as one buffer gave
// it. Then it clears the runs, letting the requests' strings go.
func merge(runs [][]entry, f func(*entry)) {
	rest := append([][]entry(nil), runs...)
	for {
		best := -1
		for i, r := range rest {
			if len(r) > 0 && (best < 0 || r[0].start.Before(rest[best][0].start)) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		f(&rest[best][0])
		rest[best] = rest[best][1:]
	}
	for _, r := range runs {
		clear(r)
	}
}

// waiting is how many records wait in all lanes and when the oldest of
// them started.
func (l *Logger) waiting() (int, time.Time) {
	total, oldest := 0, time.Time{}
	for _, ln := range l.lanes {
		n, t := ln.ring.waiting()
		if n == 0 {
			continue
		}
		if total == 0 || t.Before(oldest) {
			oldest = t
		}
		total += n
	}
	return total, oldest
}
