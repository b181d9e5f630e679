package blocklist

import (
	"regexp"
	"strings"
)

// Scope flags of one rule as a list is read, before it is merged into a set.
const (
	flagBlockSelf uint8 = 1 << iota
	flagBlockBelow
	flagAllowSelf
	flagAllowBelow
	flagOffBlockSelf // a $badfilter of a block rule
	flagOffBlockBelow
	flagOffAllowSelf
	flagOffAllowBelow
)

func entryFlags(e Entry) uint8 {
	f := e.scope() // scopeSelf and scopeBelow line up with the block flags
	if e.Allow {
		f <<= 2
	}
	if e.Off {
		f <<= 4
	}
	return f
}

func flagsAttr(f uint8, src int) attr {
	bit := uint64(1) << src
	var a attr
	if f&flagBlockSelf != 0 {
		a.blockSelf = bit
	}
	if f&flagBlockBelow != 0 {
		a.blockBelow = bit
	}
	if f&flagAllowSelf != 0 {
		a.allowSelf = bit
	}
	if f&flagAllowBelow != 0 {
		a.allowBelow = bit
	}
	if f&flagOffBlockSelf != 0 {
		a.offBlockSelf = bit
	}
	if f&flagOffBlockBelow != 0 {
		a.offBlockBelow = bit
	}
	if f&flagOffAllowSelf != 0 {
		a.offAllowSelf = bit
	}
	if f&flagOffAllowBelow != 0 {
		a.offAllowBelow = bit
	}
	return a
}

// setBuilder fills a table sized for the entries it will hold; attrs are
// interned so that a million entries of one list share one attr.
type setBuilder struct {
	s      *domainSet
	ext    []extEntry // the rules for the extSet
	intern map[attr]uint32
	limit  int // entries the table was sized for
}

func newSetBuilder(capacity int) *setBuilder {
	return &setBuilder{
		s:      &domainSet{keys: make([]uint64, tableSize(capacity)), attrIdx: make([]uint32, tableSize(capacity))},
		intern: make(map[attr]uint32),
		limit:  capacity,
	}
}

// tableSize is the number of slots for n entries: load at most 3/4, and at
// least one empty slot, which ends every probe.
func tableSize(n int) int { return n + n/3 + 1 }

func (b *setBuilder) attrIndex(a attr) uint32 {
	if i, ok := b.intern[a]; ok {
		return i
	}
	i := uint32(len(b.s.attrs))
	b.s.attrs = append(b.s.attrs, a)
	b.intern[a] = i
	return i
}

// add merges a into the entry for key. cached is the index of a, when the
// caller already knows it, or -1.
func (b *setBuilder) add(key uint64, a attr, cached int64) {
	s := b.s
	n := len(s.keys)
	for i := slot(key, n); ; {
		switch s.keys[i] {
		case 0:
			if s.count == b.limit {
				b.grow()
				b.add(key, a, cached)
				return
			}
			s.keys[i] = key
			if cached >= 0 {
				s.attrIdx[i] = uint32(cached)
			} else {
				s.attrIdx[i] = b.attrIndex(a)
			}
			s.count++
			return
		case key:
			if merged := s.attrs[s.attrIdx[i]].or(a); merged != s.attrs[s.attrIdx[i]] {
				s.attrIdx[i] = b.attrIndex(merged)
			}
			return
		}
		if i++; i == n {
			i = 0
		}
	}
}

// listReading is one list to read into the next set.
type listReading struct {
	src   int
	rules int // domain rules in the list, counted beforehand
	// read reads the list through once, passing each rule to emit.
	read func(emit func(Entry)) error
}

// buildSet makes the next set: the entries of old whose lists are not
// replaced, plus the lists read now. Lists that failed to refresh are simply
// not among them, so they keep their previous entries.
//
// The lists' rules were counted, so the table is allocated once, at its
// final size, and each rule goes straight into it: no list text and no
// intermediate array of hashes is held beside the old set and the new one.
// If a list cannot be read, the partly built set is dropped and the index of
// that list returned with the error.
//
// allowLists are the sources some policy uses as an allowlist: their entries
// are exceptions too.
func buildSet(old *domainSet, allowLists uint64, lists []listReading) (*domainSet, int, error) {
	var replaced uint64
	capacity := 0
	for _, l := range lists {
		replaced |= 1 << l.src
		capacity += l.rules
	}
	if old != nil {
		capacity += old.countWithout(replaced)
	}
	b := newSetBuilder(capacity)
	if old != nil {
		b.keepFrom(old, replaced)
		for _, r := range old.regexes {
			if replaced&(1<<r.src) == 0 {
				b.s.regexes = append(b.s.regexes, r)
			}
		}
		if old.ext != nil {
			for _, r := range old.ext.rules {
				if replaced&(1<<r.src) == 0 {
					b.ext = append(b.ext, r)
				}
			}
		}
	}
	for i, l := range lists {
		emit, flush := b.adder(l.src)
		if err := l.read(emit); err != nil {
			return nil, i, err
		}
		flush()
	}
	s := b.s
	if s.count < capacity*3/4 {
		// Duplicates across lists left the table sparse: pack it again so the
		// steady heap is what the distinct names need.
		s = repack(s)
	}
	s.exceptions = exceptionKeys(s, allowLists)
	s.filter = buildFilter(s)
	s.ext = newExtSet(b.ext)
	return s, 0, nil
}

// insertBatch is how many rules are hashed before they are inserted. The
// inserts of a batch probe the table independently, so the CPU overlaps
// their cache misses; one insert after each parsed line would wait for each
// miss in turn (1M inserts took 2.6 times as long).
const insertBatch = 64

// adder returns the emit function that puts the rules of list src in the
// table, and flush, which inserts what emit still holds.
func (b *setBuilder) adder(src int) (emit func(Entry), flush func()) {
	var last [256]int64 // attr index per flag value for this source
	for i := range last {
		last[i] = -1
	}
	var keys [insertBatch]uint64
	var flags [insertBatch]uint8
	n := 0
	flush = func() {
		for i, key := range keys[:n] {
			f := flags[i]
			a := flagsAttr(f, src)
			b.add(key, a, last[f])
			if last[f] < 0 {
				last[f] = int64(b.attrIndex(a))
			}
		}
		n = 0
	}
	emit = func(e Entry) {
		if e.ext != nil {
			b.ext = append(b.ext, extEntry{extRule: e.ext, src: src})
			return
		}
		if e.Regex != "" {
			// parseLine compiled the pattern already, so this cannot fail.
			re := regexp.MustCompile(strings.Clone(e.Regex))
			b.s.regexes = append(b.s.regexes, regexRule{re: re, src: src, allow: e.Allow})
			return
		}
		keys[n], flags[n] = nameKey(e.Domain), entryFlags(e)
		if n++; n == insertBatch {
			flush()
		}
	}
	return emit, flush
}

// grow doubles the table, keeping every attr index. Lists are counted
// before they are read, so this happens only when a file changed between
// the two readings.
func (b *setBuilder) grow() {
	old := b.s
	b.limit = 2*b.limit + 1
	n := tableSize(b.limit)
	s := &domainSet{keys: make([]uint64, n), attrIdx: make([]uint32, n), attrs: old.attrs, count: old.count, regexes: old.regexes}
	for j, key := range old.keys {
		if key == 0 {
			continue
		}
		i := slot(key, n)
		for s.keys[i] != 0 {
			if i++; i == n {
				i = 0
			}
		}
		s.keys[i], s.attrIdx[i] = key, old.attrIdx[j]
	}
	b.s = s
}

func buildFilter(s *domainSet) []uint64 {
	if s.count == 0 {
		return nil
	}
	filter := make([]uint64, (s.count+7)/8)
	for _, key := range s.keys {
		if key != 0 {
			filter[slot(key, len(filter))] |= filterBits(key)
		}
	}
	return filter
}

// exceptionKeys collects the keys whose entry can allow a name.
func exceptionKeys(s *domainSet, allowLists uint64) keySet {
	var keys []uint64
	for i, key := range s.keys {
		if key == 0 {
			continue
		}
		a := s.attrs[s.attrIdx[i]]
		if a.allowSelf|a.allowBelow|(a.blockSelf|a.blockBelow)&allowLists != 0 {
			keys = append(keys, key)
		}
	}
	return newKeySet(keys)
}

// keepFrom copies the entries of old minus the lists in drop.
func (b *setBuilder) keepFrom(old *domainSet, drop uint64) {
	remap := make([]int64, len(old.attrs))
	for i := range remap {
		remap[i] = -2
	}
	for i, key := range old.keys {
		if key == 0 {
			continue
		}
		ai := old.attrIdx[i]
		if remap[ai] == -2 {
			a := old.attrs[ai].without(drop)
			remap[ai] = -1
			if !a.isZero() {
				remap[ai] = int64(b.attrIndex(a))
			}
		}
		if remap[ai] >= 0 {
			b.add(key, b.s.attrs[remap[ai]], remap[ai])
		}
	}
}

func repack(s *domainSet) *domainSet {
	b := newSetBuilder(s.count)
	b.keepFrom(s, 0)
	b.s.regexes = s.regexes
	return b.s
}

// countWithout returns how many entries remain once the lists in drop are
// taken out: sizing the next table from old.count would make a refresh of a
// big list allocate a table for twice its size.
func (s *domainSet) countWithout(drop uint64) int {
	survives := make([]bool, len(s.attrs))
	for i, a := range s.attrs {
		survives[i] = !a.without(drop).isZero()
	}
	n := 0
	for i, key := range s.keys {
		if key != 0 && survives[s.attrIdx[i]] {
			n++
		}
	}
	return n
}
