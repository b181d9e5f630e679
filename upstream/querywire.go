package upstream

import (
	"encoding/binary"
	"strings"

	"github.com/miekg/dns"
)

// appendQuery packs q with the ID id into buf, as miekg's Pack would
// (uncompressed: a query's one name has nothing to point to), for the
// queries newQuery builds: one question, nothing in the answer and
// authority sections, and at most one additional record, an OPT without
// options. ok is false for anything else, which the caller packs with
// miekg. Packing here leaves q untouched, so racing attempts share one
// message instead of each copying it (miekg's Pack writes to the OPT), and
// costs no allocation: Copy and Pack were seven allocations and the
// compression map's work on each miss.
func appendQuery(buf []byte, id uint16, q *dns.Msg) (_ []byte, ok bool) {
	if len(q.Question) != 1 || len(q.Answer) != 0 || len(q.Ns) != 0 || len(q.Extra) > 1 || q.Rcode > 0xF {
		return nil, false
	}
	var opt *dns.OPT
	if len(q.Extra) == 1 {
		if opt, ok = q.Extra[0].(*dns.OPT); !ok || len(opt.Option) != 0 || opt.Hdr.Name != "." || opt.Hdr.Rdlength != 0 {
			return nil, false
		}
	}
	qn := q.Question[0]
	if !dns.IsFqdn(qn.Name) || strings.IndexByte(qn.Name, '\\') >= 0 {
		return nil, false
	}
	buf = binary.BigEndian.AppendUint16(buf, id)
	buf = binary.BigEndian.AppendUint16(buf, headerBits(q))
	buf = append(buf, 0, 1, 0, 0, 0, 0, 0, byte(len(q.Extra)))
	if buf, ok = appendName(buf, qn.Name); !ok {
		return nil, false
	}
	buf = binary.BigEndian.AppendUint16(buf, qn.Qtype)
	buf = binary.BigEndian.AppendUint16(buf, qn.Qclass)
	if opt != nil {
		buf = append(buf, 0) // the root, the OPT's owner
		buf = binary.BigEndian.AppendUint16(buf, dns.TypeOPT)
		buf = binary.BigEndian.AppendUint16(buf, opt.Hdr.Class) // the UDP payload size
		// Extended rcode (q.Rcode's upper bits: none), version, DO, as
		// miekg's Pack sets them.
		buf = binary.BigEndian.AppendUint32(buf, opt.Hdr.Ttl&0x00FFFFFF)
		buf = append(buf, 0, 0) // no options
	}
	return buf, true
}

// headerBits is the second 16 bits of q's header, as miekg packs them.
func headerBits(q *dns.Msg) uint16 {
	return uint16(q.Opcode)<<11 | uint16(q.Rcode&0xF) |
		bit(q.Response, 1<<15) | bit(q.Authoritative, 1<<10) | bit(q.Truncated, 1<<9) |
		bit(q.RecursionDesired, 1<<8) | bit(q.RecursionAvailable, 1<<7) | bit(q.Zero, 1<<6) |
		bit(q.AuthenticatedData, 1<<5) | bit(q.CheckingDisabled, 1<<4)
}

func bit(set bool, b uint16) uint16 {
	if set {
		return b
	}
	return 0
}

// appendName packs a fully qualified name without escapes, label by label,
// uncompressed; ok is false when it is not a valid name (an empty label,
// a label over 63 bytes, over 255 bytes in all).
func appendName(buf []byte, name string) (_ []byte, ok bool) {
	start := len(buf)
	for name != "." && name != "" {
		i := strings.IndexByte(name, '.')
		if i <= 0 || i > 63 {
			return nil, false
		}
		buf = append(buf, byte(i))
		buf = append(buf, name[:i]...)
		name = name[i+1:]
	}
	buf = append(buf, 0)
	return buf, len(buf)-start <= 255
}
