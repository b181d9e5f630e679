// Package cache is the answer cache: an RFC-correct store of upstream
// answers keyed by question and DO/CD bits, bounded in bytes, that keeps
// expired answers for serve-stale (RFC 8767) and hands answers out packed,
// patching ID, question case and TTLs instead of unpacking.
//
// The cache knows nothing of the pipeline: resolver.CacheLink decides when
// to look, store, serve stale and prefetch.
package cache

import (
	"fmt"
	"hash/maphash"
	"math/bits"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// State says what Get found.
type State uint8

// The outcomes of Get.
const (
	Miss  State = iota // nothing usable
	Fresh              // within its TTL
	Stale              // expired, within stale_max_age, serve-stale on, not a SERVFAIL
)

// entryOverhead is what an entry costs beyond the buffers newEntry
// counts one by one: the Entry (rounded to its allocation class), its slot
// in the shard's array and in the index map at their average load and
// growth. Measured: TestFootprintWithinMaxBytes fills a cache and compares
// the heap with max_bytes.
const entryOverhead = 192

// allocSize is what the Go allocator hands out for n bytes: small sizes
// round up to their size class, which wastes up to an eighth.
func allocSize(n int) int64 {
	switch {
	case n == 0:
		return 0
	case n <= 256:
		return int64((n + 15) &^ 15)
	case n <= 1024:
		return int64((n + 63) &^ 63)
	}
	return int64(n + n/8)
}

// Cache is safe for concurrent use.
type Cache struct {
	cfg    Config
	now    func() time.Time
	m      Metrics
	seed   maphash.Seed
	shards []*shard
	mask   uint64
}

// New returns an empty cache. now is the clock (time.Now when nil); tests
// pass a fake one to move time.
func New(cfg Config, m Metrics, now func() time.Time) (*Cache, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if m.Hits == nil || m.Misses == nil || m.Evictions == nil || m.Entries == nil || m.Bytes == nil {
		return nil, fmt.Errorf("cache: missing metrics")
	}
	if now == nil {
		now = time.Now
	}
	n := shardCount(cfg.MaxBytes)
	c := &Cache{cfg: cfg, now: now, m: m, seed: maphash.MakeSeed(), mask: uint64(n - 1)}
	for range n {
		c.shards = append(c.shards, newShard(cfg.MaxBytes/int64(n)))
	}
	return c, nil
}

// shardCount is a power of two up to 64 that leaves each shard at least
// 1 MiB, so a small cache is not split into shards too small to hold the
// popular entries of an unlucky hash.
func shardCount(maxBytes int64) int {
	n := min(maxBytes>>20, 64)
	if n < 1 {
		return 1
	}
	return 1 << (bits.Len64(uint64(n)) - 1)
}

// Config returns the configuration the cache was built with.
func (c *Cache) Config() Config { return c.cfg }

// Now returns the time on the cache's clock.
func (c *Cache) Now() time.Time { return c.now() }

// hash is k's 64 bits: the shard's index (its low bits) and the key of
// the shard's index map.
func (c *Cache) hash(k Key) uint64 {
	h := maphash.String(c.seed, k.Name)
	var flags uint64
	if k.DO {
		flags |= 1
	}
	if k.CD {
		flags |= 2
	}
	return h ^ (uint64(k.Type)<<32 | uint64(k.Class)<<16 | flags<<48)
}

// lookup is the entry stored for k, or nil.
func (c *Cache) lookup(k Key) *Entry {
	h := c.hash(k)
	return c.shards[h&c.mask].get(k, h)
}

// Get looks k up at time now (from Now) and counts a hit or a miss. A stale
// entry is returned with Stale so the caller can fall back on it.
func (c *Cache) Get(k Key, now time.Time) (*Entry, State) {
	e := c.lookup(k)
	t := now.UnixNano()
	if e != nil && t < e.expires {
		c.m.Hits.Inc()
		e.hits.Add(1)
		return e, Fresh
	}
	c.m.Misses.Inc()
	if e != nil && c.staleUsable(e, t) {
		return e, Stale
	}
	return nil, Miss
}

// Peek is Get without counting: for a second look at a query whose first
// look was already counted.
func (c *Cache) Peek(k Key, now time.Time) (*Entry, State) {
	e := c.lookup(k)
	t := now.UnixNano()
	switch {
	case e == nil:
		return nil, Miss
	case t < e.expires:
		return e, Fresh
	case c.staleUsable(e, t):
		return e, Stale
	}
	return nil, Miss
}

func (c *Cache) staleUsable(e *Entry, t int64) bool {
	return c.cfg.ServeStale && e.kind != Failure && t < e.expires+int64(c.cfg.StaleMaxAge)
}

// Set stores an upstream answer under k if it may be cached, and reports
// whether it did. A SERVFAIL never replaces an answer that can still be
// served stale: it marks that answer's refresh as failed instead, so stale
// beats a cached SERVFAIL. Callers must not pass blocked or locally made
// answers; the cache cannot tell them from upstream ones.
func (c *Cache) Set(k Key, m *dns.Msg) (bool, error) {
	kind, ttl, ok := c.lifetime(m)
	if !ok {
		return false, nil
	}
	now := c.now().UnixNano()
	e, err := c.newEntry(k, m, kind, ttl, now)
	if err != nil {
		return false, fmt.Errorf("cache %s/%s: %w", k.Name, dns.TypeToString[k.Type], err)
	}
	keep := func(old *Entry) bool {
		if kind == Failure && c.staleUsable(old, now) {
			old.failedAt.Store(now)
			return true
		}
		return false
	}
	dead := func(old *Entry) bool { return now >= old.expires && !c.staleUsable(old, now) }
	h := c.hash(k)
	d, stored := c.shards[h&c.mask].put(k, h, e, keep, dead)
	c.account(d)
	return stored, nil
}

func (c *Cache) newEntry(k Key, m *dns.Msg, kind Kind, ttl uint32, now int64) (*Entry, error) {
	cp := *m // shallow: only the header and question change, RRs are shared read-only
	cp.Id = 0
	cp.Compress = true
	cp.Question = []dns.Question{{Name: k.Name, Qtype: k.Type, Qclass: k.Class}}
	sc := scratches.Get().(*scratch)
	defer scratches.Put(sc)
	wire, err := cp.PackBuffer(sc.wire[:cap(sc.wire)])
	if err != nil {
		return nil, fmt.Errorf("pack: %w", err)
	}
	if cap(wire) <= maxScratch {
		sc.wire = wire[:0] // keep a bigger buffer PackBuffer made, up to a point
	}
	l, offs, err := scan(wire, sc.offs[:0])
	if cap(offs) <= maxScratch {
		sc.offs = offs[:0]
	}
	if err != nil {
		return nil, fmt.Errorf("scan: %w", err)
	}
	// One exact buffer for the answer, its TTL offsets and the key's name:
	// PackBuffer's has room to spare, and each piece apart would be an
	// object more for the collector (see Entry).
	data := make([]byte, 0, len(wire)+len(offs)+len(k.Name))
	data = append(append(append(data, wire...), offs...), k.Name...)
	c.storeTTLs(data[:len(wire)], offs, kind, ttl)
	l.wireEnd, l.nameStart = int32(len(wire)), int32(len(wire)+len(offs))
	e := &Entry{
		data: data, layout: l, kind: kind, qtype: k.Type, qclass: k.Class, do: k.DO, cd: k.CD,
		stored: now, expires: now + int64(ttl)*int64(time.Second),
	}
	// The real footprint, so that max_bytes bounds the heap: the buffer and
	// the targets, each as the allocator rounds it.
	e.size = entryOverhead + allocSize(cap(data))
	for _, rr := range m.Answer {
		if cn, ok := rr.(*dns.CNAME); ok {
			e.targets = append(e.targets, lower(cn.Target))
			e.size += allocSize(len(cn.Target)) + 16
		}
	}
	e.size += allocSize(16 * cap(e.targets))
	return e, nil
}

// scratch is newEntry's working space: the answer is packed and scanned
// there, then copied into the entry's exact buffer.
type scratch struct{ wire, offs []byte }

// maxScratch bounds what a scratch keeps of a big answer's buffers.
const maxScratch = 4096

var scratches = sync.Pool{New: func() any {
	return &scratch{wire: make([]byte, 0, 1024), offs: make([]byte, 0, 64)}
}}

// Prefetch reports whether the caller should refresh e in the background
// now: it is popular (prefetch_min_hits), in the last tenth of its TTL, and
// nobody has claimed its refresh yet. It returns true once per entry.
func (c *Cache) Prefetch(e *Entry, now time.Time) bool {
	if !c.cfg.Prefetch || e.kind == Failure || e.hits.Load() < c.cfg.PrefetchMinHits {
		return false
	}
	if e.expires-now.UnixNano() > (e.expires-e.stored)/10 {
		return false
	}
	return e.prefetched.CompareAndSwap(false, true)
}

// Failed records that refreshing e failed at now, starting its
// failure-recheck timer.
func (c *Cache) Failed(e *Entry, now time.Time) { e.failedAt.Store(now.UnixNano()) }

// RecheckDue reports whether the failure-recheck timer of e allows asking
// upstream again; until it does, stale answers are served straight away.
func (c *Cache) RecheckDue(e *Entry, now time.Time) bool {
	f := e.failedAt.Load()
	return f == 0 || now.UnixNano()-f >= int64(c.cfg.StaleRecheck)
}

// Flush empties the cache, for the admin API.
func (c *Cache) Flush() {
	for _, s := range c.shards {
		c.account(s.flush())
	}
}

// Len returns the number of entries, expired ones included.
func (c *Cache) Len() int {
	n := 0
	for _, s := range c.shards {
		n += s.len()
	}
	return n
}

// Bytes returns the bytes the entries account for.
func (c *Cache) Bytes() int64 {
	var n int64
	for _, s := range c.shards {
		s.mu.RLock()
		n += s.bytes
		s.mu.RUnlock()
	}
	return n
}

func (c *Cache) account(d delta) {
	if d.entries != 0 {
		c.m.Entries.Add(float64(d.entries))
	}
	if d.bytes != 0 {
		c.m.Bytes.Add(float64(d.bytes))
	}
	if d.evicted != 0 {
		c.m.Evictions.Add(float64(d.evicted))
	}
}
