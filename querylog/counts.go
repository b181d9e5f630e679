package querylog

import (
	"cmp"
	"github.com/cleandns/cleandns/query"
	"hash/maphash"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// The counters behind top lists and dashboard counts: every query is
// counted as the writer takes its record, or as the record is dropped, so
// they stay exact when records are dropped and lag the queries by at most
// the writer's flush interval. They live in memory, in 10-minute buckets
// for 24 hours.
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
	seed    maphash.Seed
	started time.Time   // when counting began
	hourly  []HourCount // totals per hour not yet handed to the store
}

type bucket struct {
	num              int64 // Unix time / bucketSpan
	queries, blocked int64
	// names is keyed by the name's hash: one map lookup a query, on an
	// 8-byte key, instead of one for all queries and one for blocked ones
	// on the name (a string compare, and a cache miss, each): the counting
	// cost a third of the query log's CPU at 20,000 q/s.
	names   map[uint64]*nameCount
	clients map[client]int64
	lists   map[string]int64
	closed  bool // compacted to keepTop
}

// client is who asked: the address, and the ID the device gave, if any.
type client struct {
	addr netip.Addr
	id   string
}

// nameCount is one name's queries and blocked queries in a bucket.
type nameCount struct {
	name         string
	all, blocked int64
}

func newCounters(now time.Time) *counters { return &counters{started: now, seed: maphash.MakeSeed()} }

// countTotals counts all queries, blocked of them, of bucket number num,
// in their bucket and hour, opening the bucket when it is newer than the
// current one, and returns it. c.mu is held. It runs where the keys are
// counted (the writer's tally, a dropped record), not on the query's path:
// there it took a lock that every UDP loop shared.
func (c *counters) countTotals(num, all, blocked int64) *bucket {
	b := c.cur
	if b == nil || num > b.num {
		b = c.open(num)
	} else {
		b = c.bucketOf(num)
	}
	b.queries += all
	b.blocked += blocked
	hour := num * int64(bucketSpan/time.Second) / 3600 * 3600
	if n := len(c.hourly); n == 0 || c.hourly[n-1].Hour.Unix() != hour {
		c.hourly = append(c.hourly, HourCount{Hour: time.Unix(hour, 0).UTC()})
	}
	hc := &c.hourly[len(c.hourly)-1]
	hc.Total += all
	hc.Blocked += blocked
	return b
}

// bucketOf is the bucket a query of bucket number num counts in: its own
// when it is kept, else the current one. c.mu is held.
func (c *counters) bucketOf(num int64) *bucket {
	if b := c.buckets[num%int64(bucketCount)]; b != nil && b.num == num {
		return b
	}
	if c.cur == nil {
		return c.open(num)
	}
	return c.cur
}

// tally is a batch's counts by key, merged into the counters at once:
// one lock, and one map operation a distinct key rather than a record.
type tally struct {
	num     int64 // the bucket number of the records tallied
	n       int
	blocked int64
	names   map[string]*[2]int64 // all, blocked
	clients map[client]int64
	lists   map[string]int64
}

func newTally() *tally {
	return &tally{names: map[string]*[2]int64{}, clients: map[client]int64{}, lists: map[string]int64{}}
}

// add tallies e, first merging what is tallied into c when e falls in
// another bucket.
func (t *tally) add(c *counters, e *entry) {
	num := e.start.UnixNano() / int64(bucketSpan)
	if t.n > 0 && num != t.num {
		t.merge(c)
	}
	t.num, t.n = num, t.n+1
	nc := t.names[e.name]
	if nc == nil {
		nc = new([2]int64)
		t.names[e.name] = nc
	}
	nc[0]++
	t.clients[client{e.client, e.clientID}]++
	if e.result == query.Blocked {
		nc[1]++
		t.blocked++
		t.lists[e.list]++
	}
}

// merge adds the tally to c and empties it.
func (t *tally) merge(c *counters) {
	if t.n == 0 {
		return
	}
	c.mu.Lock()
	b := c.countTotals(t.num, int64(t.n), t.blocked)
	for name, k := range t.names {
		c.addName(b, name, k[0], k[1])
	}
	for a, k := range t.clients {
		addKey(b.clients, a, k)
	}
	for l, k := range t.lists {
		addKey(b.lists, l, k)
	}
	c.mu.Unlock()
	clear(t.names)
	clear(t.clients)
	clear(t.lists)
	t.n, t.blocked = 0, 0
}

// addEntry counts one record, its totals and keys, straight into its
// bucket: for the records lost before the writer saw them.
func (c *counters) addEntry(e *entry) {
	num := e.start.UnixNano() / int64(bucketSpan)
	blocked := e.result == query.Blocked
	var nb int64
	if blocked {
		nb = 1
	}
	c.mu.Lock()
	b := c.countTotals(num, 1, nb)
	c.addName(b, e.name, 1, nb)
	addKey(b.clients, client{e.client, e.clientID}, 1)
	if blocked {
		addKey(b.lists, e.list, 1)
	}
	c.mu.Unlock()
}

// addName adds to name's counts in b, within maxKeys. c.mu is held.
func (c *counters) addName(b *bucket, name string, all, blocked int64) {
	h := maphash.String(c.seed, name)
	nc := b.names[h]
	if nc == nil {
		if len(b.names) >= maxKeys {
			return
		}
		nc = &nameCount{name: name}
		b.names[h] = nc
	}
	nc.all += all
	nc.blocked += blocked
}

// addKey adds n to m[k], within maxKeys.
func addKey[K comparable](m map[K]int64, k K, n int64) {
	if len(m) < maxKeys {
		m[k] += n
	} else if _, ok := m[k]; ok {
		m[k] += n
	}
}

// open starts bucket num, replacing the one 24 hours older. c.mu is held.
func (c *counters) open(num int64) *bucket {
	b := &bucket{num: num, names: map[uint64]*nameCount{}, clients: map[client]int64{}, lists: map[string]int64{}}
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
		// The bucket before the current one still takes the writer's late
		// tallies.
		if b == nil || b.closed || c.cur == nil || b.num >= c.cur.num-1 {
			continue
		}
		b.names = trimNames(b.names)
		b.lists, b.clients = trim(b.lists), trim(b.clients)
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

// trimNames keeps the keepTop most asked names, and the keepTop most
// blocked, of m.
func trimNames(m map[uint64]*nameCount) map[uint64]*nameCount {
	if len(m) <= keepTop {
		return m
	}
	all, blocked := map[uint64]int64{}, map[uint64]int64{}
	for h, nc := range m {
		all[h] = nc.all
		if nc.blocked > 0 {
			blocked[h] = nc.blocked
		}
	}
	out := make(map[uint64]*nameCount, 2*keepTop)
	for _, keep := range []map[uint64]int64{trim(all), trim(blocked)} {
		for h := range keep {
			out[h] = m[h]
		}
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

// top counts kind over the buckets since t; clients are shown as mode
// says, by ID where they gave one (see clientKey).
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
		case TopNames, TopBlocked:
			for _, nc := range b.names {
				if n := nc.all; kind == TopNames && n > 0 {
					sum[nc.name] += n
				} else if n := nc.blocked; kind == TopBlocked && n > 0 {
					sum[nc.name] += n
				}
			}
		case TopLists:
			addAll(sum, b.lists)
		case TopClients:
			for c, k := range b.clients {
				if s := clientKey(privacy(c.addr, mode), storedID(c.id, mode)); s != "" {
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
