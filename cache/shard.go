package cache

import (
	"sync"
	"sync/atomic"
)

// shard is one lock's worth of the cache. Its index holds no pointers (a
// key's 64-bit hash to a slot number), so the garbage collector never scans
// it, and its slots are one array it scans straight through: with the
// entry's single buffer (see Entry), a cached answer is two objects to
// mark instead of the six of a map keyed by name over a linked ring, which
// made a full default cache's mark saturate one core for 100-240 ms under
// a miss load (issue 22).
//
// Eviction is CLOCK over the slots: the hand walks the array, clearing the
// referenced bit of entries hit since it last passed and evicting the
// first one not hit (or dead: expired past serve-stale), so popular
// entries survive a flood of one-time names.
type shard struct {
	mu    sync.RWMutex
	index map[uint64]int32 // key hash → slot
	slots []slot
	free  []int32 // empty slots, reused before the array grows
	hand  int     // next eviction candidate
	bytes int64
	max   int64
}

// slot is one cached entry, or none when e is nil.
type slot struct {
	e   *Entry
	h   uint64
	ref atomic.Bool // hit since the hand last passed
}

type delta struct {
	entries, bytes, evicted int64
}

func newShard(maxBytes int64) *shard {
	return &shard{index: make(map[uint64]int32), max: maxBytes}
}

// get returns the entry stored for k, whose hash is h, or nil. Two keys
// whose hashes collide (a random seed's 64 bits: as good as never, and an
// attacker cannot aim for it) share a slot: the entry is checked against
// the key, and the other key is a miss.
func (s *shard) get(k Key, h uint64) *Entry {
	s.mu.RLock()
	var e *Entry
	if i, ok := s.index[h]; ok {
		sl := &s.slots[i]
		if sl.e.matches(k) {
			if !sl.ref.Load() { // skip the store: it would bounce the cache line on every hit
				sl.ref.Store(true)
			}
			e = sl.e
		}
	}
	s.mu.RUnlock()
	return e
}

// put stores e as k (hash h) unless keep says the entry there stays, then
// evicts until the shard is within its bytes.
func (s *shard) put(k Key, h uint64, e *Entry, keep func(old *Entry) bool, dead func(*Entry) bool) (d delta, stored bool) {
	if e.size > s.max {
		return d, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.index[h]
	if ok {
		sl := &s.slots[i]
		if sl.e.matches(k) && keep(sl.e) {
			return d, false
		}
		// The same key, or the other key of a collision: replaced either way.
		d.bytes = e.size - sl.e.size
		sl.e = e
	} else {
		i = s.take()
		sl := &s.slots[i]
		sl.e, sl.h = e, h
		sl.ref.Store(false)
		s.index[h] = i
		d.entries, d.bytes = 1, e.size
	}
	s.bytes += d.bytes
	for s.bytes > s.max {
		if s.hand >= len(s.slots) {
			s.hand = 0
		}
		j := s.hand
		s.hand++
		sl := &s.slots[j]
		if sl.e == nil || int32(j) == i {
			continue // empty, or what was just stored (the others fit more than it: e.size <= max)
		}
		if sl.ref.Load() && !dead(sl.e) {
			sl.ref.Store(false)
			continue
		}
		d.entries--
		d.bytes -= sl.e.size
		d.evicted++
		s.bytes -= sl.e.size
		s.release(int32(j))
	}
	return d, true
}

// take returns an empty slot, growing the array when none is free.
func (s *shard) take() int32 {
	if n := len(s.free); n > 0 {
		i := s.free[n-1]
		s.free = s.free[:n-1]
		return i
	}
	s.slots = append(s.slots, slot{})
	return int32(len(s.slots) - 1)
}

// release empties slot i.
func (s *shard) release(i int32) {
	sl := &s.slots[i]
	delete(s.index, sl.h)
	sl.e, sl.h = nil, 0
	sl.ref.Store(false)
	s.free = append(s.free, i)
}

func (s *shard) len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.index)
}

func (s *shard) flush() delta {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := delta{entries: -int64(len(s.index)), bytes: -s.bytes}
	s.index = make(map[uint64]int32)
	s.slots, s.free, s.hand = nil, nil, 0
	s.bytes = 0
	return d
}
