package resolver

import (
	"encoding/binary"

	"github.com/miekg/dns"
)

// The wire checks miekg's Unpack does not make, so that the edge answers
// FORMERR as Unbound does, never NOERROR, to a message that is not one:
// counts the records do not fill, bytes after the last record, an OPT
// outside the additional section or with an owner other than the root, an
// EDNS option whose length overruns its OPT (RFC 6891 §6.1.2, §7).

// Reasons CheckWire gives.
const (
	WireCounts     = "counts"      // fewer records than the header counts, or one cut short
	WireTrailing   = "trailing"    // bytes after the last record
	WireOPTSection = "opt-section" // an OPT in the answer or authority section
	WireOPTOwner   = "opt-owner"   // an OPT whose owner is not the root
	WireEDNSOption = "edns-option" // an option that overruns its OPT
)

// CheckWire reports why b is not a well-formed DNS message, or "". It walks
// the message without unpacking it, so it allocates nothing.
func CheckWire(b []byte) string {
	end, reason := walk(b, func(section, owner, off, rdlen int) string {
		if binary.BigEndian.Uint16(b[off:]) != dns.TypeOPT {
			return ""
		}
		switch {
		case section != 3:
			return WireOPTSection
		case off-owner != 1: // the root is one zero byte
			return WireOPTOwner
		case !optionsFit(b[off+10 : off+10+rdlen]):
			return WireEDNSOption
		}
		return ""
	})
	if reason == "" && end != len(b) {
		return WireTrailing
	}
	return reason
}

// walk calls rr for each record of b (section 1 to 3, the offsets of its
// owner name and of its type, its rdata length) until rr returns a reason,
// and returns the offset after the last record.
func walk(b []byte, rr func(section, owner, off, rdlen int) string) (int, string) {
	if len(b) < 12 {
		return 0, WireCounts
	}
	off := 12
	var ok bool
	for range binary.BigEndian.Uint16(b[4:]) {
		if off, ok = skipName(b, off); !ok || off+4 > len(b) {
			return 0, WireCounts
		}
		off += 4
	}
	for section := 1; section <= 3; section++ {
		for range binary.BigEndian.Uint16(b[4+2*section:]) {
			owner := off
			if off, ok = skipName(b, off); !ok || off+10 > len(b) {
				return 0, WireCounts
			}
			rdlen := int(binary.BigEndian.Uint16(b[off+8:]))
			if off+10+rdlen > len(b) {
				return 0, WireCounts
			}
			if reason := rr(section, owner, off, rdlen); reason != "" {
				return 0, reason
			}
			off += 10 + rdlen
		}
	}
	return off, ""
}

// skipName returns the offset after the name at off.
func skipName(b []byte, off int) (int, bool) {
	for off < len(b) {
		c := int(b[off])
		switch {
		case c == 0:
			return off + 1, true
		case c&0xC0 == 0xC0: // a pointer ends the name
			return off + 2, off+2 <= len(b)
		case c&0xC0 != 0:
			return 0, false // label types 0x40 and 0x80 are not in use
		}
		off += 1 + c
	}
	return 0, false
}

// optionsFit says whether rdata is a sequence of whole EDNS options.
func optionsFit(rdata []byte) bool {
	for len(rdata) > 0 {
		if len(rdata) < 4 {
			return false
		}
		n := 4 + int(binary.BigEndian.Uint16(rdata[2:]))
		if n > len(rdata) {
			return false
		}
		rdata = rdata[n:]
	}
	return true
}

// UnpackQuery unpacks a well-formed query into m, or reports why it is not
// one. A well-formed option miekg cannot read (an empty Extended DNS Error,
// which `dig +ednsopt=15` sends) is not an error, as it is not for Unbound:
// the query is read again without its options.
func UnpackQuery(m *dns.Msg, b []byte) string {
	if reason := CheckWire(b); reason != "" {
		return reason
	}
	if err := m.Unpack(b); err == nil {
		return ""
	}
	stripped, ok := withoutOptions(b)
	if !ok {
		return "unpack"
	}
	*m = dns.Msg{}
	if m.Unpack(stripped) != nil {
		return "unpack"
	}
	return ""
}

// withoutOptions returns a copy of b, well-formed, whose OPT has no options.
func withoutOptions(b []byte) ([]byte, bool) {
	var out []byte
	walk(b, func(_, _, off, rdlen int) string {
		if binary.BigEndian.Uint16(b[off:]) != dns.TypeOPT || rdlen == 0 {
			return ""
		}
		out = append(append([]byte(nil), b[:off+8]...), 0, 0)
		out = append(out, b[off+10+rdlen:]...)
		return "found"
	})
	return out, out != nil
}

// FormErr packs into buf the FORMERR answer to the query b, which did not
// unpack or failed CheckWire: its ID, opcode, RD and question when they can
// be read, and an OPT when the query had one in its additional section, as
// RFC 6891 §7 asks of an answer to an EDNS query.
func FormErr(b []byte, buf []byte) ([]byte, error) {
	m := new(dns.Msg)
	if len(b) >= 4 {
		m.Id = binary.BigEndian.Uint16(b)
		m.Opcode = int(b[2]>>3) & 0xF
		m.RecursionDesired = b[2]&1 != 0
	}
	m.Response, m.Rcode = true, dns.RcodeFormatError
	if len(b) >= 12 && binary.BigEndian.Uint16(b[4:]) == 1 {
		if name, off, err := dns.UnpackDomainName(b, 12); err == nil && off+4 <= len(b) {
			m.Question = []dns.Question{{Name: name, Qtype: binary.BigEndian.Uint16(b[off:]), Qclass: binary.BigEndian.Uint16(b[off+2:])}}
		}
	}
	if hadOPT(b) {
		m.SetEdns0(dns.DefaultMsgSize, false)
	}
	return m.PackBuffer(buf)
}

// hadOPT says whether b has an OPT in its additional section that the
// walk reaches.
func hadOPT(b []byte) bool {
	_, reason := walk(b, func(section, _, off, _ int) string {
		if section == 3 && binary.BigEndian.Uint16(b[off:]) == dns.TypeOPT {
			return "found"
		}
		return ""
	})
	return reason == "found"
}
