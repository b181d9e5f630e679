package querylog

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Bucket counts the queries in [Time, Time+step): all of them, the blocked
// ones and, when the records were read, those answered from the cache
// (the in-memory counters do not count cached answers: Cached is nil).
type Bucket struct {
	Time    time.Time `json:"time"`
	Total   int64     `json:"total"`
	Blocked int64     `json:"blocked"`
	Cached  *int64    `json:"cached,omitempty"`
}

// MinStep is the finest histogram step; finer ones would be mostly empty.
const MinStep = 10 * time.Second

// Histogram counts queries per step since a time, for the console's
// charts; buckets start at multiples of step (Unix time) and only those
// holding queries are returned, oldest first. Steps of whole minutes over
// the last hour come from the per-minute counters, steps of 10 minutes
// over the last 24 hours from the top-list counters (no disk read either
// way, dropped records included); any other from the stored records, or
// ErrNotSearchable.
func (l *Logger) Histogram(ctx context.Context, since time.Time, step time.Duration) ([]Bucket, error) {
	if step < MinStep {
		return nil, fmt.Errorf("histogram step %v is under %v", step, MinStep)
	}
	now := l.now()
	if step%time.Minute == 0 && minutesCover(since, now) {
		return l.minuteHistogram(since, now, step), nil
	}
	if step%bucketSpan == 0 && l.counts.covers(since, now) {
		return l.counts.histogram(since, now, step), nil
	}
	s, err := l.searcher()
	if err != nil {
		return nil, err
	}
	h, ok := s.(interface {
		Histogram(ctx context.Context, since time.Time, step time.Duration) ([]Bucket, error)
	})
	if !ok {
		return nil, ErrNotSearchable
	}
	return h.Histogram(ctx, since, step)
}

// histogram sums the counters' buckets since t into steps.
func (c *counters) histogram(since, now time.Time, step time.Duration) []Bucket {
	c.mu.Lock()
	defer c.mu.Unlock()
	first, _ := c.from(since, now)
	per := int64(step / bucketSpan)
	sum := map[int64]*Bucket{}
	for _, b := range c.buckets {
		if b == nil || b.num < first || b.queries == 0 {
			continue
		}
		k := b.num / per
		if sum[k] == nil {
			sum[k] = &Bucket{Time: time.Unix(0, k*int64(step)).UTC()}
		}
		sum[k].Total += b.queries
		sum[k].Blocked += b.blocked
	}
	return sorted(sum)
}

// Histogram counts the stored records since a time per step, reading the
// chunks that span it.
func (s *SQLite) Histogram(ctx context.Context, since time.Time, step time.Duration) ([]Bucket, error) {
	if step < MinStep {
		return nil, fmt.Errorf("histogram step %v is under %v", step, MinStep)
	}
	lo, _ := bounds(since, time.Time{})
	us := step.Microseconds()
	sum := map[int64]*Bucket{}
	err := s.scan(ctx, since, time.Time{}, func(c *chunk) bool {
		blocked, cached := c.find("blocked"), c.find("cached")
		if c.load() != nil {
			return true
		}
		for i := range c.recs {
			r := &c.recs[i]
			if r.ts < lo {
				continue
			}
			k := r.ts / us
			b := sum[k]
			if b == nil {
				b = &Bucket{Time: time.UnixMicro(k * us).UTC(), Cached: new(int64)}
				sum[k] = b
			}
			b.Total++
			switch int(r.str[fResult]) {
			case blocked:
				b.Blocked++
			case cached:
				*b.Cached++
			}
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return sorted(sum), nil
}

func sorted(m map[int64]*Bucket) []Bucket {
	out := make([]Bucket, 0, len(m))
	for _, b := range m {
		out = append(out, *b)
	}
	slices.SortFunc(out, func(a, b Bucket) int { return a.Time.Compare(b.Time) })
	return out
}
