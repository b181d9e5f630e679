package blocklist

// maxExtRules bounds the rules one list may put in the extSet. They cost
// far more than a domain (a pattern, modifiers, an index entry), so a list
// of a million rewrites must not cost gigabytes: the rules past the bound
// are counted as skipped.
const maxExtRules = 50_000

// extEntry is an extRule of one list.
type extEntry struct {
	*extRule
	src int
}

// extSet is the immutable set of extRules of every list, indexed so that a
// lookup tries only the rules its name can match: by a suffix of whole
// labels every matching name ends with, or a label every matching name
// holds. Rules with neither are tried for every name; lists have few.
type extSet struct {
	rules []extEntry
	// off is, per rule, the lists whose $badfilter rules disable it.
	off   []uint64
	index map[uint64][]int32
	scan  []int32
	// filter has a bit set for each key of index (16 bits per key), so that
	// most labels and suffixes of a name cost a bit test, not a map lookup.
	filter []uint64
}

func (x *extSet) mayHave(key uint64) bool {
	w := x.filter[(key>>6)&uint64(len(x.filter)-1)]
	return w&(1<<(key&63)) != 0
}

// labelTag keeps the keys of labels apart from those of suffixes.
const labelTag = 0x9e3779b97f4a7c15

func labelKey(label string) uint64 { return finalize(nameKey(label) ^ labelTag) }

func newExtSet(rules []extEntry) *extSet {
	if len(rules) == 0 {
		return nil
	}
	x := &extSet{rules: rules, off: make([]uint64, len(rules)), index: map[uint64][]int32{}}
	bad := map[string]uint64{}
	for _, r := range rules {
		if r.badfilter {
			bad[r.canon] |= 1 << r.src
		}
	}
	for i, r := range rules {
		if r.badfilter {
			continue // it disables rules; it matches nothing itself
		}
		x.off[i] = bad[r.canon]
		switch kind, key := r.pat.indexKey(); kind {
		case keySuffix:
			k := nameKey(key)
			x.index[k] = append(x.index[k], int32(i))
		case keyLabel:
			k := labelKey(key)
			x.index[k] = append(x.index[k], int32(i))
		default:
			x.scan = append(x.scan, int32(i))
		}
	}
	words := 1
	for words*64 < 16*len(x.index) {
		words *= 2
	}
	x.filter = make([]uint64, words)
	for k := range x.index {
		x.filter[(k>>6)&uint64(words-1)] |= 1 << (k & 63)
	}
	return x
}

// extVerdict is what the extSet found for one query: the first rule of
// each rank (-1: none) and the rewrites that apply.
type extVerdict struct {
	allowList, importantAllow, importantBlock, allow, block int32
	// rewrites are the matching rewrite rules not disabled by an
	// exception; nRewrites counts them even past the array's end.
	rewrites  [4]int32
	nRewrites int
}

func (v *extVerdict) rank(rank *int32, i int32) {
	if *rank < 0 {
		*rank = i
	}
}

// lookup finds the rules that apply to name (lower or upper case, no
// trailing dot) under policy p. It allocates nothing.
func (x *extSet) lookup(name string, q *Query, p policyMask) extVerdict {
	v := extVerdict{allowList: -1, importantAllow: -1, importantBlock: -1, allow: -1, block: -1}
	var noRewrite, anyRewriteOff bool
	var offRewrite [4]int32
	nOff := 0
	try := func(i int32) {
		r := &x.rules[i]
		bit := uint64(1) << r.src
		if (p.block|p.allow)&bit == 0 || x.off[i]&(p.block|p.allow) != 0 || !r.matches(name, q) {
			return
		}
		asAllowList := p.allow&bit != 0
		switch {
		case len(r.rewrite) > 0 || r.anyRewrite:
			switch {
			case asAllowList:
				// An allowlist's rewrite rule is no exception to anything.
			case r.allow && r.anyRewrite:
				anyRewriteOff = true
			case r.allow:
				if nOff < len(offRewrite) {
					offRewrite[nOff] = i
				}
				nOff++
			default:
				for _, j := range v.rewrites[:min(v.nRewrites, len(v.rewrites))] {
					if j == i {
						return // met again under another key
					}
				}
				if v.nRewrites < len(v.rewrites) {
					v.rewrites[v.nRewrites] = i
				}
				v.nRewrites++
			}
		case asAllowList:
			v.rank(&v.allowList, i)
		case r.allow && r.important:
			v.rank(&v.importantAllow, i)
		case r.important:
			v.rank(&v.importantBlock, i)
		case r.allow:
			v.rank(&v.allow, i)
		default:
			v.rank(&v.block, i)
		}
	}
	x.each(name, try)
	if anyRewriteOff {
		v.nRewrites = 0
	} else if nOff > 0 {
		noRewrite = x.dropExcepted(&v, offRewrite[:min(nOff, len(offRewrite))])
		if noRewrite {
			v.nRewrites = 0
		}
	}
	return v
}

// each calls try with every rule whose index key name holds, and the rules
// without a key.
func (x *extSet) each(name string, try func(int32)) {
	for _, i := range x.scan {
		try(i)
	}
	h, lh := uint64(fnvOffset), uint64(fnvOffset)
	for i := len(name) - 1; i >= -1; i-- {
		if i >= 0 && name[i] != '.' {
			c := uint64(lowerByte(name[i]))
			h = (h ^ c) * fnvPrime
			lh = (lh ^ c) * fnvPrime
			continue
		}
		if k := finalize(h); x.mayHave(k) {
			for _, j := range x.index[k] {
				try(j)
			}
		}
		if k := finalize(finalize(lh) ^ labelTag); x.mayHave(k) {
			for _, j := range x.index[k] {
				try(j)
			}
		}
		h, lh = (h^'.')*fnvPrime, fnvOffset
	}
}

// dropExcepted removes the rewrites that "@@...$dnsrewrite=value"
// exceptions name, and reports whether none is left.
func (x *extSet) dropExcepted(v *extVerdict, excepted []int32) bool {
	kept := 0
	for _, i := range v.rewrites[:min(v.nRewrites, len(v.rewrites))] {
		drop := false
		for _, e := range excepted {
			if sameRewrites(x.rules[i].rewrite, x.rules[e].rewrite) {
				drop = true
			}
		}
		if !drop {
			v.rewrites[kept] = i
			kept++
		}
	}
	v.nRewrites = kept
	return kept == 0
}

func sameRewrites(a, b []Rewrite) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].RCode != b[i].RCode || a[i].Type != b[i].Type || (a[i].RR == nil) != (b[i].RR == nil) ||
			a[i].RR != nil && a[i].RR.String() != b[i].RR.String() {
			return false
		}
	}
	return true
}
