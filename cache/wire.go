package cache

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/miekg/dns"
)

// layout is where an entry's buffer keeps the fields a hit rewrites.
type layout struct {
	qnameEnd  int32 // the question name spans data[12:qnameEnd]
	optStart  int32 // where the OPT record starts; 0 when there is none
	wireEnd   int32 // the packed answer is data[:wireEnd]...
	nameStart int32 // ...its TTL fields' offsets data[wireEnd:nameStart], the key's name the rest
	bare      bool  // the OPT, if any, is the last record and holds no extended rcode
}

var errShort = errors.New("message truncated")

// scan walks a packed message once, at store time, so that a hit can patch
// the answer in place instead of unpacking it. It appends to offs the
// offset of every RR's TTL field except OPT's (it holds EDNS flags), two
// bytes each, and returns them.
func scan(wire, offs []byte) (layout, []byte, error) {
	var l layout
	if len(wire) < 12 {
		return l, offs, errShort
	}
	qd := binary.BigEndian.Uint16(wire[4:])
	rrs := int(binary.BigEndian.Uint16(wire[6:])) + int(binary.BigEndian.Uint16(wire[8:])) +
		int(binary.BigEndian.Uint16(wire[10:]))
	if qd != 1 {
		return l, offs, fmt.Errorf("%d questions, want 1", qd)
	}
	off, err := skipName(wire, 12)
	if err != nil {
		return l, offs, fmt.Errorf("question: %w", err)
	}
	l.qnameEnd = int32(off)
	off += 4
	l.bare = true
	for i := 0; i < rrs; i++ {
		start := off
		if off, err = skipName(wire, off); err != nil {
			return l, offs, fmt.Errorf("record %d: %w", i, err)
		}
		if off+10 > len(wire) {
			return l, offs, errShort
		}
		if binary.BigEndian.Uint16(wire[off:]) != dns.TypeOPT {
			offs = binary.BigEndian.AppendUint16(offs, uint16(off+4))
			if l.optStart != 0 {
				l.bare = false // a record after the OPT: cutting it out would move names pointed to
			}
		} else {
			if l.optStart != 0 || wire[off+4] != 0 {
				l.bare = false // two OPTs, or an extended rcode that lives in the OPT
			}
			l.optStart = int32(start)
		}
		off += 10 + int(binary.BigEndian.Uint16(wire[off+8:]))
	}
	if off > len(wire) {
		return l, offs, errShort
	}
	return l, offs, nil
}

// skipName returns the offset just past the (possibly compressed) name at off.
func skipName(wire []byte, off int) (int, error) {
	for {
		if off >= len(wire) {
			return 0, errShort
		}
		c := int(wire[off])
		switch c & 0xC0 {
		case 0x00:
			if c == 0 {
				return off + 1, nil
			}
			off += 1 + c
		case 0xC0:
			return off + 2, nil
		default:
			return 0, fmt.Errorf("bad label type %#x", c)
		}
	}
}

// patchCase writes the client's spelling of the question name over the
// stored lowercase one (DNS 0x20 clients check it). Names with escapes keep
// the stored spelling: they are rare and not worth decoding on a hit.
func patchCase(w []byte, name string) {
	if spelledAs(w, name) || !sameName(w, name) {
		return // nothing to patch (the usual: a lowercase query), or not this name
	}
	j := 0
	for i := 0; w[i] != 0; {
		n := int(w[i])
		copy(w[i+1:i+1+n], name[j:j+n])
		i += 1 + n
		j += n + 1
	}
}

// spelledAs reports whether the presentation name is the wire name w byte
// for byte, label by label, so that patching would change nothing: one
// comparison a label where sameName compares byte by byte, folding case
// (sameName and the patch were about 600 instructions of a 25-byte name).
func spelledAs(w []byte, name string) bool {
	j := 0
	for i := 0; i < len(w); {
		n := int(w[i])
		if n == 0 {
			return j == len(name) || (j == 0 && name == ".")
		}
		if i+1+n > len(w) || j+n >= len(name) || name[j+n] != '.' || string(w[i+1:i+1+n]) != name[j:j+n] {
			return false
		}
		i += 1 + n
		j += n + 1
	}
	return false
}

// sameName reports whether the presentation name spells the wire name w,
// ignoring case, without escapes.
func sameName(w []byte, name string) bool {
	j := 0
	for i := 0; i < len(w); {
		n := int(w[i])
		if n == 0 {
			return j == len(name) || (j == 0 && name == ".")
		}
		if i+1+n > len(w) || j+n >= len(name) || name[j+n] != '.' {
			return false
		}
		for k := 0; k < n; k++ {
			c := name[j+k]
			if c == '\\' || lowerByte(c) != lowerByte(w[i+1+k]) {
				return false
			}
		}
		i += 1 + n
		j += n + 1
	}
	return false
}

func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
