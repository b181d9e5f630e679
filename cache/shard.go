package cache

import (
	"sync"
	"sync/atomic"
)

// shard is one lock's worth of the cache. Eviction is CLOCK (second
// chance): a hit only sets a bit under the read lock, and the hand spares
// entries whose bit is set once, so popular entries survive while a hit
// never takes the write lock.
type shard struct {
	mu    sync.RWMutex
	m     map[Key]*node
	hand  *node // next eviction candidate on the ring; nil when empty
	bytes int64
	max   int64
}

type node struct {
	key        Key
	e          *Entry
	ref        atomic.Bool
	prev, next *node
}

// delta is what a write changed, for the gauges and the eviction counter.
type delta struct {
	entries, bytes, evicted int64
}

func newShard(maxBytes int64) *shard {
	return &shard{m: make(map[Key]*node), max: maxBytes}
}

func (s *shard) get(k Key) *Entry {
	s.mu.RLock()
	n := s.m[k]
	var e *Entry
	if n != nil {
		if !n.ref.Load() { // skip the store: it would bounce the cache line on every hit
			n.ref.Store(true)
		}
		e = n.e
	}
	s.mu.RUnlock()
	return e
}

// put stores e under k unless keep says the old entry should stay, then
// evicts until the shard is under its bound. dead reports entries past any
// use, which the hand evicts regardless of their bit.
func (s *shard) put(k Key, e *Entry, keep func(old *Entry) bool, dead func(*Entry) bool) (d delta, stored bool) {
	if e.size > s.max {
		return d, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.m[k]; n != nil {
		if keep(n.e) {
			return d, false
		}
		d.bytes = e.size - n.e.size
		n.e = e
	} else {
		n = &node{key: k, e: e}
		s.m[k] = n
		s.link(n)
		d.entries, d.bytes = 1, e.size
	}
	s.bytes += d.bytes
	for s.bytes > s.max {
		n := s.hand
		if n.ref.Load() && !dead(n.e) {
			n.ref.Store(false)
			s.hand = n.next
			continue
		}
		s.unlink(n)
		delete(s.m, n.key)
		s.bytes -= n.e.size
		d.entries--
		d.bytes -= n.e.size
		d.evicted++
	}
	return d, true
}

// link inserts n just behind the hand, so it is the last to be considered.
func (s *shard) link(n *node) {
	if s.hand == nil {
		n.prev, n.next = n, n
		s.hand = n
		return
	}
	n.next, n.prev = s.hand, s.hand.prev
	n.prev.next, n.next.prev = n, n
}

func (s *shard) unlink(n *node) {
	if n.next == n {
		s.hand = nil
	} else {
		if s.hand == n {
			s.hand = n.next
		}
		n.prev.next, n.next.prev = n.next, n.prev
	}
	n.prev, n.next = nil, nil
}

// flush empties the shard and returns what it held.
func (s *shard) flush() delta {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := delta{entries: -int64(len(s.m)), bytes: -s.bytes}
	s.m = make(map[Key]*node)
	s.hand = nil
	s.bytes = 0
	return d
}
