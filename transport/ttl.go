package transport

import "encoding/binary"

// minTTL returns the smallest TTL of the records in a packed answer, OPT
// excluded, for the DoH answer's Cache-Control max-age (RFC 8484 §5.1).
// A negative answer's SOA is among them, so it bounds the caching of an
// NXDOMAIN as the negative TTL does. An answer without records has none.
func minTTL(b []byte) (uint32, bool) {
	if len(b) < 12 {
		return 0, false
	}
	qd := int(binary.BigEndian.Uint16(b[4:]))
	rrs := int(binary.BigEndian.Uint16(b[6:])) + int(binary.BigEndian.Uint16(b[8:])) + int(binary.BigEndian.Uint16(b[10:]))
	off := 12
	for i := 0; i < qd; i++ {
		if off = skipName(b, off); off < 0 || off+4 > len(b) {
			return 0, false
		}
		off += 4
	}
	var ttl uint32
	found := false
	for i := 0; i < rrs; i++ {
		if off = skipName(b, off); off < 0 || off+10 > len(b) {
			return 0, false
		}
		typ := binary.BigEndian.Uint16(b[off:])
		t := binary.BigEndian.Uint32(b[off+4:])
		off += 10 + int(binary.BigEndian.Uint16(b[off+8:]))
		if off > len(b) {
			return 0, false
		}
		if typ == 41 { // OPT: its TTL field holds flags
			continue
		}
		if !found || t < ttl {
			ttl, found = t, true
		}
	}
	return ttl, found
}

// skipName returns the offset after the name at off, -1 if it is cut short.
func skipName(b []byte, off int) int {
	for off < len(b) {
		l := int(b[off])
		switch {
		case l == 0:
			return off + 1
		case l&0xc0 == 0xc0: // a compression pointer ends the name
			if off+2 > len(b) {
				return -1
			}
			return off + 2
		}
		off += 1 + l
	}
	return -1
}
