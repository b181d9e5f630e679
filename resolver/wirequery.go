package resolver

import (
	"encoding/binary"

	"github.com/miekg/dns"
)

// Query is a query's message with room for what nearly every query holds:
// one question and an OPT record without options. Unpacking such a query
// into it reads the header, the question and the OPT straight from the
// wire, allocating only the name: miekg's Unpack costs about 1,000
// instructions and two allocations more, a sixth of a blocked query's
// user-space work. Anything else (more records, EDNS options, a name with
// a compression pointer or a byte miekg escapes) is unpacked by miekg, so
// the message is the same either way (FuzzQueryUnpack checks).
//
// A Query is reused for the next datagram once its message is answered; a
// message that outlives that (a query resumed on another goroutine) needs
// a Query of its own.
type Query struct {
	Msg      dns.Msg
	question [1]dns.Question
	extra    [1]dns.RR
	opt      dns.OPT
}

// Unpack unpacks the query b into q.Msg, as UnpackQuery does, and reports
// why it is not a well-formed query, or "".
func (q *Query) Unpack(b []byte) string {
	q.Msg = dns.Msg{}
	if q.unpackCommon(b) {
		return ""
	}
	q.Msg = dns.Msg{}
	return UnpackQuery(&q.Msg, b)
}

// unpackCommon unpacks b when it has the common shape, setting exactly the
// fields miekg's Unpack sets, and reports false, with q.Msg in any state,
// when it does not.
func (q *Query) unpackCommon(b []byte) bool {
	if len(b) < 12 || binary.BigEndian.Uint16(b[4:]) != 1 || binary.BigEndian.Uint32(b[6:]) != 0 {
		return false // not one question, or answer or authority records
	}
	arcount := binary.BigEndian.Uint16(b[10:])
	if arcount > 1 {
		return false
	}
	name, off, ok := plainName(b, 12)
	if !ok || off+4 > len(b) {
		return false
	}
	m := &q.Msg
	setHeader(m, binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:]))
	q.question[0] = dns.Question{Name: name, Qtype: binary.BigEndian.Uint16(b[off:]), Qclass: binary.BigEndian.Uint16(b[off+2:])}
	m.Question = q.question[:1:1]
	off += 4
	if arcount == 0 {
		return off == len(b) // else trailing bytes: CheckWire's to report
	}
	// The OPT: the root as owner, then type, class, TTL and an empty rdata.
	if off+11 != len(b) || b[off] != 0 || binary.BigEndian.Uint16(b[off+1:]) != dns.TypeOPT || binary.BigEndian.Uint16(b[off+9:]) != 0 {
		return false
	}
	q.opt = dns.OPT{Hdr: dns.RR_Header{
		Name:   ".",
		Rrtype: dns.TypeOPT,
		Class:  binary.BigEndian.Uint16(b[off+3:]),
		Ttl:    binary.BigEndian.Uint32(b[off+5:]),
	}}
	q.extra[0] = &q.opt
	m.Extra = q.extra[:1:1]
	m.Rcode |= q.opt.ExtendedRcode()
	return true
}

// setHeader sets the header fields as miekg's Unpack does.
func setHeader(m *dns.Msg, id, bits uint16) {
	m.Id = id
	m.Response = bits&(1<<15) != 0
	m.Opcode = int(bits>>11) & 0xF
	m.Authoritative = bits&(1<<10) != 0
	m.Truncated = bits&(1<<9) != 0
	m.RecursionDesired = bits&(1<<8) != 0
	m.RecursionAvailable = bits&(1<<7) != 0
	m.Zero = bits&(1<<6) != 0
	m.AuthenticatedData = bits&(1<<5) != 0
	m.CheckingDisabled = bits&(1<<4) != 0
	m.Rcode = int(bits & 0xF)
}

// plainName reads the name at off when miekg would spell it as it is on
// the wire, labels joined by dots: no compression pointer, no byte it
// escapes, and within its length limit. It returns the offset after it.
func plainName(b []byte, off int) (string, int, bool) {
	var buf [255]byte
	n := 0
	for {
		if off >= len(b) {
			return "", 0, false
		}
		c := int(b[off])
		off++
		if c == 0 {
			break
		}
		// A label of up to 63 bytes (pointers and reserved label types have
		// the top bits set), and miekg's budget: fewer than 255 wire bytes.
		if c > 63 || off+c > len(b) || n+c+1 >= len(buf) {
			return "", 0, false
		}
		for _, ch := range b[off : off+c] {
			if !plainBytes[ch] {
				return "", 0, false
			}
			buf[n] = ch
			n++
		}
		buf[n] = '.'
		n++
		off += c
	}
	if n == 0 {
		return ".", off, true
	}
	return string(buf[:n]), off, true
}

// plainBytes is the bytes miekg's UnpackDomainName keeps as they are:
// printable ASCII other than the characters it escapes with a backslash.
// A table, not a switch: the check runs for every byte of every name.
var plainBytes = func() (t [256]bool) {
	for ch := '!'; ch <= '~'; ch++ {
		t[ch] = true
	}
	for _, ch := range ".'@;()\"\\" {
		t[ch] = false
	}
	return t
}()
