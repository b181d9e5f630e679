package blocklist

import (
	"math/bits"
	"regexp"
	"strings"
)

// maxSources is how many lists one set can tell apart: each entry carries a
// bitmask of the lists it came from.
const maxSources = 64

// attr says which lists hold a name, and with which scope. Bit i of each mask
// is source i. Entries share a small table of distinct attrs, so each entry
// costs a 4-byte index instead of 32 bytes.
// The off masks are the lists whose $badfilter rules disable the rule of
// that scope, in whichever list of a policy it is.
type attr struct {
	blockSelf, blockBelow, allowSelf, allowBelow             uint64
	offBlockSelf, offBlockBelow, offAllowSelf, offAllowBelow uint64
}

func (a attr) or(b attr) attr {
	return attr{a.blockSelf | b.blockSelf, a.blockBelow | b.blockBelow, a.allowSelf | b.allowSelf, a.allowBelow | b.allowBelow,
		a.offBlockSelf | b.offBlockSelf, a.offBlockBelow | b.offBlockBelow, a.offAllowSelf | b.offAllowSelf, a.offAllowBelow | b.offAllowBelow}
}

func (a attr) without(mask uint64) attr {
	return attr{a.blockSelf &^ mask, a.blockBelow &^ mask, a.allowSelf &^ mask, a.allowBelow &^ mask,
		a.offBlockSelf &^ mask, a.offBlockBelow &^ mask, a.offAllowSelf &^ mask, a.offAllowBelow &^ mask}
}

func (a attr) isZero() bool { return a == attr{} }

// domainSet is an immutable set of domain rules from up to 64 lists. The domain
// part is two flat arrays forming an open-addressing hash table (linear
// probing, load at most 3/4): 12 bytes per slot and no pointers, so a million
// names cost about 16 MB and the garbage collector never scans them.
type domainSet struct {
	keys    []uint64 // name hash; 0 = empty slot
	attrIdx []uint32 // index into attrs, per slot
	attrs   []attr
	count   int
	regexes []regexRule

	// filter is a blocked Bloom filter of the keys, 8 bits per name: about
	// 1 MB per million names, so it stays in cache and turns away about 95%
	// of the probes for suffixes that are not in the table, which is most of
	// them.
	filter []uint64

	// exceptions holds the keys of entries that can allow a name under some
	// policy: @@ rules and entries of lists used as allowlists.
	exceptions keySet

	// ext holds the rules the table cannot: patterns, modifiers, rewrites.
	// nil when no list has any, so the plain path does not look.
	ext *extSet
}

// keySet is a table of keys alone, for membership tests.
type keySet struct {
	keys []uint64
}

func (k *keySet) has(key uint64) bool {
	n := len(k.keys)
	if n == 0 {
		return false
	}
	for i := slot(key, n); ; {
		switch k.keys[i] {
		case key:
			return true
		case 0:
			return false
		}
		if i++; i == n {
			i = 0
		}
	}
}

func newKeySet(keys []uint64) keySet {
	if len(keys) == 0 {
		return keySet{}
	}
	n := len(keys) + len(keys)/3 + 1
	k := keySet{keys: make([]uint64, n)}
	for _, key := range keys {
		for i := slot(key, n); ; {
			if k.keys[i] == 0 || k.keys[i] == key {
				k.keys[i] = key
				break
			}
			if i++; i == n {
				i = 0
			}
		}
	}
	return k
}

// regexRule is a /regex/ rule; they are few and tried only when no domain
// rule blocks a name.
type regexRule struct {
	re    *regexp.Regexp
	src   int
	allow bool
}

// Len returns the number of distinct names in the set.
func (s *domainSet) Len() int { return s.count }

// slot returns the table position a key starts probing from: Lemire's
// multiply-shift range reduction, so the table need not be a power of two.
func slot(key uint64, n int) int {
	hi, _ := bits.Mul64(key, uint64(n))
	return int(hi)
}

// filterBits are the two bits key sets in its filter word.
func filterBits(key uint64) uint64 {
	return 1<<(key&63) | 1<<((key>>6)&63)
}

func (s *domainSet) mayHave(key uint64) bool {
	if len(s.filter) == 0 {
		return false
	}
	want := filterBits(key)
	return s.filter[slot(key, len(s.filter))]&want == want
}

func (s *domainSet) find(key uint64) (uint32, bool) {
	n := len(s.keys)
	if n == 0 {
		return 0, false
	}
	for i := slot(key, n); ; {
		switch s.keys[i] {
		case key:
			return s.attrIdx[i], true
		case 0:
			return 0, false
		}
		if i++; i == n {
			i = 0
		}
	}
}

// policyMask selects the lists one policy uses: block lists block (and their
// exceptions allow); every rule of an allow list allows.
type policyMask struct {
	block, allow uint64
}

// verdict is what a lookup found: the deciding list and the suffix of the
// name the rule names.
type verdict struct {
	blocked, allowed bool
	src              int
	start            int // offset in the name of the matched domain
}

// lookup walks the suffixes of name from the top-level label down, so one
// hash pass serves every suffix. An exception anywhere beats a block
// anywhere, but exceptions are few: once a block is found, the longer
// suffixes are only checked against the small, cache-resident table of
// names that carry an exception, and the walk stops when it is empty.
func (s *domainSet) lookup(name string, p policyMask) verdict {
	var blk verdict
	h := uint64(fnvOffset)
	for i := len(name) - 1; i >= -1; i-- {
		if i >= 0 && name[i] != '.' {
			h = (h ^ uint64(lowerByte(name[i]))) * fnvPrime
			continue
		}
		key := finalize(h)
		h = (h ^ '.') * fnvPrime
		if blk.blocked && !s.exceptions.has(key) || !s.mayHave(key) {
			continue
		}
		idx, ok := s.find(key)
		if !ok {
			continue
		}
		a := &s.attrs[idx]
		b, w, offB, offW := a.blockBelow, a.allowBelow, a.offBlockBelow, a.offAllowBelow
		if i < 0 {
			b, w, offB, offW = a.blockSelf, a.allowSelf, a.offBlockSelf, a.offAllowSelf
		}
		if offB|offW != 0 {
			// A $badfilter in one of the policy's lists disables the rule.
			if offB&(p.block|p.allow) != 0 {
				b = 0
			}
			if offW&(p.block|p.allow) != 0 {
				w = 0
			}
		}
		if allowed := w&(p.block|p.allow) | b&p.allow; allowed != 0 {
			return verdict{allowed: true, src: bits.TrailingZeros64(allowed), start: i + 1}
		}
		if blocked := b & p.block; blocked != 0 && !blk.blocked {
			blk = verdict{blocked: true, src: bits.TrailingZeros64(blocked), start: i + 1}
			if len(s.exceptions.keys) == 0 {
				return blk
			}
		}
	}
	if blk.blocked {
		if len(s.regexes) > 0 {
			if v := s.lookupRegex(name, p, true); v.allowed {
				return v // an @@/regex/ beats a domain block too
			}
		}
		return blk
	}
	return s.lookupRegex(name, p, false)
}

// lookupRegex runs after the domain table missed (or, with allowOnly, when it
// blocked): regex blocks are tried only then. Any exception that matches wins.
func (s *domainSet) lookupRegex(name string, p policyMask, allowOnly bool) verdict {
	if len(s.regexes) == 0 {
		return verdict{}
	}
	lower := strings.ToLower(name) // allocates only for names not in lower case
	var blk verdict
	for _, r := range s.regexes {
		bit := uint64(1) << r.src
		allowRule := r.allow && (p.block|p.allow)&bit != 0 || !r.allow && p.allow&bit != 0
		blockRule := !allowOnly && !r.allow && p.block&bit != 0
		if !allowRule && (!blockRule || blk.blocked) {
			continue
		}
		if !r.re.MatchString(lower) {
			continue
		}
		if allowRule {
			return verdict{allowed: true, src: r.src}
		}
		blk = verdict{blocked: true, src: r.src}
	}
	return blk
}
