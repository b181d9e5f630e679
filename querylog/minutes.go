package querylog

import (
	"sync/atomic"
	"time"

	"github.com/cleandns/cleandns/query"
)

// minuteCount is how many one-minute counters the last hour keeps: the
// console's live chart and cache hit ratio read them every 10 s, so
// they must not read the stored records (a busy hour is millions).
const minuteCount = 62

// minutes counts queries, blocked and cached ones per minute over the last
// hour, with atomics only: Record must not wait on a lock for it.
type minutes struct {
	b [minuteCount]minute
}

type minute struct {
	num                    atomic.Int64 // Unix minute this slot counts; 0 unused
	total, blocked, cached atomic.Int64
}

// add counts one query that started at t. The first query of a new minute
// resets its slot; a query racing that reset may go uncounted, which a
// chart can bear.
func (m *minutes) add(t time.Time, r query.Result) {
	n := t.Unix() / 60
	b := &m.b[n%minuteCount]
	if old := b.num.Load(); old != n {
		if old > n || !b.num.CompareAndSwap(old, n) {
			return // a query from an older minute than the slot's, or a lost race: rare
		}
		b.total.Store(0)
		b.blocked.Store(0)
		b.cached.Store(0)
	}
	b.total.Add(1)
	switch r {
	case query.Blocked:
		b.blocked.Add(1)
	case query.Cached:
		b.cached.Add(1)
	}
}

// minutesCover reports whether the minutes hold the span since t: the last
// hour asked a moment ago still is (the slots hold 61 whole minutes back).
func minutesCover(since, now time.Time) bool {
	return since.Unix()/60 >= now.Unix()/60-(minuteCount-1)
}

// minuteHistogram sums every lane's minutes since t into steps (multiples
// of a minute).
func (l *Logger) minuteHistogram(since, now time.Time, step time.Duration) []Bucket {
	sum := map[int64]*Bucket{}
	for _, ln := range l.lanes {
		ln.recent.sumInto(sum, since, now, step)
	}
	return sorted(sum)
}

// sumInto adds the minutes since t to sum's steps (multiples of a minute).
func (m *minutes) sumInto(sum map[int64]*Bucket, since, now time.Time, step time.Duration) {
	first, last := since.Unix()/60, now.Unix()/60
	per := int64(step / time.Minute)
	for i := range m.b {
		b := &m.b[i]
		n := b.num.Load()
		if n < first || n > last {
			continue
		}
		total := b.total.Load()
		if total == 0 {
			continue
		}
		k := n / per
		if sum[k] == nil {
			sum[k] = &Bucket{Time: time.Unix(k*int64(step/time.Second), 0).UTC(), Cached: new(int64)}
		}
		sum[k].Total += total
		sum[k].Blocked += b.blocked.Load()
		*sum[k].Cached += b.cached.Load()
	}
}
