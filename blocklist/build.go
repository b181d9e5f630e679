package blocklist

// Scope flags of one entry in a part, before it is merged into a set.
const (
	flagBlockSelf uint8 = 1 << iota
	flagBlockBelow
	flagAllowSelf
	flagAllowBelow
)

// part is one list parsed into hashes: the unit a refresh replaces. It lives
// only until the next set is built.
type part struct {
	keys    []uint64
	flags   []uint8
	regexes []regexRule
}

func entryFlags(e Entry) uint8 {
	f := e.scope() // scopeSelf and scopeBelow line up with the block flags
	if e.Allow {
		f <<= 2
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
	return a
}

// setBuilder fills a fixed-size table; attrs are interned so that a million
// entries of one list share one attr.
type setBuilder struct {
	s      *domainSet
	intern map[attr]uint32
}

func newSetBuilder(capacity int) *setBuilder {
	size := capacity + capacity/3 + 1 // load at most 3/4, at least one empty slot
	return &setBuilder{
		s:      &domainSet{keys: make([]uint64, size), attrIdx: make([]uint32, size)},
		intern: make(map[attr]uint32),
	}
}

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

// buildSet makes the next set: the entries of old whose lists are not in
// replaced, plus the parts (indexed by source). Lists that failed to refresh
// are simply not in replaced, so they keep their previous entries.
//
// allowLists are the sources some policy uses as an allowlist: their entries
// are exceptions too.
func buildSet(old *domainSet, replaced, allowLists uint64, parts map[int]*part) *domainSet {
	s := fillSet(old, replaced, parts)
	s.exceptions = exceptionKeys(s, allowLists)
	s.filter = buildFilter(s)
	return s
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

func fillSet(old *domainSet, replaced uint64, parts map[int]*part) *domainSet {
	capacity := 0
	if old != nil {
		capacity = old.countWithout(replaced)
	}
	for _, p := range parts {
		capacity += len(p.keys)
	}
	b := newSetBuilder(capacity)
	if old != nil {
		b.keepFrom(old, replaced)
		for _, r := range old.regexes {
			if replaced&(1<<r.src) == 0 {
				b.s.regexes = append(b.s.regexes, r)
			}
		}
	}
	for src, p := range parts {
		var last [16]int64 // attr index per flag value for this source
		for i := range last {
			last[i] = -1
		}
		for i, key := range p.keys {
			f := p.flags[i]
			a := flagsAttr(f, src)
			b.add(key, a, last[f])
			if last[f] < 0 {
				last[f] = int64(b.attrIndex(a))
			}
		}
		b.s.regexes = append(b.s.regexes, p.regexes...)
	}
	s := b.s
	if s.count < capacity*3/4 {
		// Duplicates across lists left the table sparse: pack it again so the
		// steady heap is what the distinct names need.
		return repack(s)
	}
	return s
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
