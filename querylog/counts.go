package querylog

import (
	"cmp"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// The counters behind top lists and dashboard counts: every query is
// counted as it is recorded, before the buffer, so they stay exact when
// records are dropped. They live in memory, in 10-minute buckets for 24
// hours.
const (
	bucketSpan  = 10 * time.Minute
	countedFor  = 24 * time.Hour
	bucketCount = int(countedFor/bucketSpan) + 1 // and the current one
	// maxKeys bounds the distinct names (or clients, lists) counted in the
	// current bucket: a random-subdomain flood must not grow memory without
	// bound. Keys beyond it are counted in the totals only.
	maxKeys = 10_000
	// keepTop is how many keys of each kind a bucket keeps once it is
	// closed: the counts are exact for every key among a bucket's keepTop
	// most frequent, and the 24 hours stay within a few megabytes.
	keepTop = 500
)

// counters counts queries, blocked queries, and queries by name, blocked
// name, client and list. Safe for concurrent use.
type counters struct {
	mu      sync.Mutex
	buckets [bucketCount]*bucket // by bucket number modulo bucketCount
	cur     *bucket
	started time.Time   // when counting began
	hourly  []HourCount // totals per hour not yet handed to the store
}

type bucket struct {
	num                 int64 // Unix time / bucketSpan
	queries, blocked    int64
	names, blockedNames map[string]int64
	clients             map[netip.Addr]int64
	lists               map[string]int64
	closed              bool // compacted to keepTop
}

func newCounters(now time.Time) *counters { return &counters{started: now} }

// add counts one query that started at t (the bucket is the current one
// when t is earlier: a closed bucket no longer changes).
func (c *counters) add(t time.Time, client netip.Addr, name, list string, blocked bool) {
	num := t.UnixNano() / int64(bucketSpan)
	c.mu.Lock()
	b := c.cur
	if b == nil || num > b.num {
		b = c.open(num)
	}
	b.queries++
	inc(b.names, name)
	if len(b.clients) < maxKeys {
		b.clients[client]++
	} else if _, ok := b.clients[client]; ok {
		b.clients[client]++
	}
	if blocked {
		b.blocked++
		inc(b.blockedNames, name)
		inc(b.lists, list)
	}
	h := t.Unix() / 3600 * 3600
	if n := len(c.hourly); n == 0 || c.hourly[n-1].Hour.Unix() != h {
		c.hourly = append(c.hourly, HourCount{Hour: time.Unix(h, 0).UTC()})
	}
	hc := &c.hourly[len(c.hourly)-1]
	hc.Total++
	if blocked {
		hc.Blocked++
	}
	c.mu.Unlock()
}

func inc(m map[string]int64, k string) {
	if len(m) < maxKeys {
		m[k]++
	} else if _, ok := m[k]; ok {
		m[k]++
	}
}

// open starts bucket num, replacing the one 24 hours older. c.mu is held.
func (c *counters) open(num int64) *bucket {
	b := &bucket{num: num, names: map[string]int64{}, blockedNames: map[string]int64{},
		clients: map[netip.Addr]int64{}, lists: map[string]int64{}}
	c.buckets[num%int64(bucketCount)] = b
	c.cur = b
	return b
}

// compact trims the closed buckets to their keepTop keys of each kind. The
// writer calls it, so no query pays for it.
func (c *counters) compact() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, b := range c.buckets {
		if b == nil || b == c.cur || b.closed {
			continue
		}
		b.names, b.blockedNames, b.lists = trim(b.names), trim(b.blockedNames), trim(b.lists)
		b.clients = trim(b.clients)
		b.closed = true
	}
}

func trim[K comparable](m map[K]int64) map[K]int64 {
	if len(m) <= keepTop {
		return m
	}
	type kv struct {
		k K
		v int64
	}
	all := make([]kv, 0, len(m))
	for k, v := range m {
		all = append(all, kv{k, v})
	}
	slices.SortFunc(all, func(a, b kv) int { return cmp.Compare(b.v, a.v) })
	out := make(map[K]int64, keepTop)
	for _, e := range all[:keepTop] {
		out[e.k] = e.v
	}
	return out
}

// takeHourly returns the per-hour totals counted since the last call.
func (c *counters) takeHourly() []HourCount {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.hourly
	c.hourly = nil
	return h
}

// Totals are the queries and blocked queries counted in a span.
type Totals struct {
	Since   time.Time `json:"since"` // the span's start: the time asked, or when counting began if later
	Queries int64     `json:"queries"`
	Blocked int64     `json:"blocked"`
}

// oldest is the start of the oldest bucket kept at now.
func oldest(now time.Time) time.Time { return now.Truncate(bucketSpan).Add(-countedFor) }

// from is the first bucket number a span since t covers, and the span's
// real start: no earlier than the oldest bucket, nor than when counting
// began.
func (c *counters) from(t, now time.Time) (int64, time.Time) {
	if o := oldest(now); t.Before(o) {
		t = o
	}
	start := t
	if start.Before(c.started) {
		start = c.started
	}
	return t.UnixNano() / int64(bucketSpan), start
}

// covers reports whether the counters hold the span since t: it starts
// within the buckets kept. (Before they began, this process saw nothing.)
func (c *counters) covers(t, now time.Time) bool { return !t.Before(oldest(now)) }

// totals sums the buckets since t.
func (c *counters) totals(since, now time.Time) Totals {
	c.mu.Lock()
	defer c.mu.Unlock()
	first, start := c.from(since, now)
	t := Totals{Since: start}
	for _, b := range c.buckets {
		if b != nil && b.num >= first {
			t.Queries += b.queries
			t.Blocked += b.blocked
		}
	}
	return t
}

// top counts kind over the buckets since t; clients are shown as mode says.
func (c *counters) top(kind TopKind, since, now time.Time, n int, mode string) []Count {
	c.mu.Lock()
	defer c.mu.Unlock()
	first, _ := c.from(since, now)
	sum := map[string]int64{}
	for _, b := range c.buckets {
		if b == nil || b.num < first {
			continue
		}
		switch kind {
		case TopNames:
			addAll(sum, b.names)
		case TopBlocked:
			addAll(sum, b.blockedNames)
		case TopLists:
			addAll(sum, b.lists)
		case TopClients:
			for a, k := range b.clients {
				if s := privacy(a, mode); s != "" {
					sum[s] += k
				}
			}
		}
	}
	return topOf(sum, n)
}

func addAll(sum, m map[string]int64) {
	for k, v := range m {
		if k != "" {
			sum[k] += v
		}
	}
}
