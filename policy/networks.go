package policy

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Networks is an immutable set of IP prefixes. Contains is a binary search
// over merged address ranges: no allocation, and no lock, so one set can be
// shared by every query.
type Networks struct {
	v4 []span4
	v6 []span6
}

type span4 struct{ lo, hi uint32 }

type span6 struct{ lo, hi u128 }

type u128 struct{ hi, lo uint64 }

func (a u128) less(b u128) bool { return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo) }

// ParseNetworks parses CIDR prefixes (a bare address is its own /32 or
// /128). key names the list in errors, as in "access.allow[2]".
// IPv4-mapped IPv6 prefixes (::ffff:10.0.0.0/104) are stored as IPv4.
func ParseNetworks(key string, cidrs []string) (*Networks, error) {
	n := &Networks{}
	for i, s := range cidrs {
		p, err := parsePrefix(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %q is not a network (want CIDR, e.g. 10.0.0.0/8)", key, i, s)
		}
		n.add(p)
	}
	n.v4 = merge(n.v4, func(a, b span4) int { return cmp.Compare(a.lo, b.lo) },
		func(a, b span4) bool { return b.lo <= a.hi || (a.hi != ^uint32(0) && b.lo == a.hi+1) },
		func(a, b span4) span4 { return span4{a.lo, max(a.hi, b.hi)} })
	n.v6 = merge(n.v6, func(a, b span6) int { return cmpU128(a.lo, b.lo) },
		func(a, b span6) bool { return !a.hi.less(b.lo) || next(a.hi) == b.lo },
		func(a, b span6) span6 {
			if a.hi.less(b.hi) {
				a.hi = b.hi
			}
			return a
		})
	return n, nil
}

// MustParseNetworks is ParseNetworks for fixed lists known to be valid.
func MustParseNetworks(cidrs ...string) *Networks {
	n, err := ParseNetworks("networks", cidrs)
	if err != nil {
		panic(err)
	}
	return n
}

func parsePrefix(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	return netip.ParsePrefix(s)
}

func (n *Networks) add(p netip.Prefix) {
	p = p.Masked()
	a, bits := p.Addr(), p.Bits()
	if a.Is4In6() && bits >= 96 {
		a, bits = a.Unmap(), bits-96
	}
	if a.Is4() {
		b := a.As4()
		lo := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		host := uint32(0)
		if bits < 32 {
			host = ^uint32(0) >> bits
		}
		n.v4 = append(n.v4, span4{lo, lo | host})
		return
	}
	lo := toU128(a)
	hi := lo
	switch {
	case bits == 0:
		hi = u128{^uint64(0), ^uint64(0)}
	case bits < 64:
		hi = u128{lo.hi | ^uint64(0)>>bits, ^uint64(0)}
	case bits < 128:
		hi.lo |= ^uint64(0) >> (bits - 64)
	}
	n.v6 = append(n.v6, span6{lo, hi})
}

func merge[T any](s []T, compare func(a, b T) int, touch func(a, b T) bool, join func(a, b T) T) []T {
	slices.SortFunc(s, compare)
	out := s[:0]
	for _, x := range s {
		if k := len(out) - 1; k >= 0 && touch(out[k], x) {
			out[k] = join(out[k], x)
			continue
		}
		out = append(out, x)
	}
	return slices.Clip(out)
}

func cmpU128(a, b u128) int {
	if c := cmp.Compare(a.hi, b.hi); c != 0 {
		return c
	}
	return cmp.Compare(a.lo, b.lo)
}

func next(a u128) u128 {
	if a.lo == ^uint64(0) {
		return u128{a.hi + 1, 0}
	}
	return u128{a.hi, a.lo + 1}
}

func toU128(a netip.Addr) u128 {
	b := a.As16()
	var x u128
	for i := 0; i < 8; i++ {
		x.hi = x.hi<<8 | uint64(b[i])
		x.lo = x.lo<<8 | uint64(b[i+8])
	}
	return x
}

// Contains reports whether addr is in the set. IPv4-mapped IPv6 addresses
// are unmapped first, so ::ffff:10.0.0.1 matches 10.0.0.0/8.
func (n *Networks) Contains(addr netip.Addr) bool {
	if n == nil || !addr.IsValid() {
		return false
	}
	addr = addr.Unmap()
	if addr.Is4() {
		b := addr.As4()
		x := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		i, _ := slices.BinarySearchFunc(n.v4, x, func(s span4, x uint32) int {
			if s.hi < x {
				return -1
			}
			if s.lo > x {
				return 1
			}
			return 0
		})
		return i < len(n.v4) && n.v4[i].lo <= x && x <= n.v4[i].hi
	}
	x := toU128(addr)
	i, _ := slices.BinarySearchFunc(n.v6, x, func(s span6, x u128) int {
		if s.hi.less(x) {
			return -1
		}
		if x.less(s.lo) {
			return 1
		}
		return 0
	})
	return i < len(n.v6) && !x.less(n.v6[i].lo) && !n.v6[i].hi.less(x)
}

// Len is the number of merged ranges, IPv4 and IPv6; 0 means empty.
func (n *Networks) Len() int {
	if n == nil {
		return 0
	}
	return len(n.v4) + len(n.v6)
}
