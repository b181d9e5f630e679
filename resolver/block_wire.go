package resolver

import (
	"encoding/binary"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/blocklist"
	"github.com/cleandns/cleandns/query"
)

// rdataOf packs rr, owned by the root, and returns its RDATA; nil if it
// does not pack.
func rdataOf(rr dns.RR) []byte {
	buf := make([]byte, dns.Len(rr)+16)
	off, err := dns.PackRR(rr, buf, 0, nil, false)
	const hdr = 1 + 10 // the root's one byte, then type, class, TTL, RDLENGTH
	if err != nil || off < hdr {
		return nil
	}
	return buf[hdr:off]
}

// wire packs the block answer for the modes whose answer holds no address
// (nxdomain, nodata, refused): what Answer builds, without building a
// message. ok is false for the other modes and for a question that does
// not pack; Answer serves those. It packs into req's scratch buffer when
// there is one.
func (m BlockMode) wire(req *query.Request, rule blocklist.Rule) (w []byte, ok bool) {
	r := req.Msg
	rcode, soa := dns.RcodeNameError, true
	switch m.kind {
	case "nxdomain":
	case "nodata":
		rcode = dns.RcodeSuccess
	case "refused":
		rcode, soa = dns.RcodeRefused, false
	default:
		return nil, false
	}
	if soa && m.soaRData == nil {
		return nil, false
	}
	q := r.Question[0]
	owner := "."
	if rule.Domain != "" {
		owner = dns.Fqdn(rule.Domain)
	}
	w = req.Buffer(12 + len(q.Name) + 2 + 4 + len(owner) + 2 + 10 + len(m.soaRData) + 32)[:12]
	clear(w)
	binary.BigEndian.PutUint16(w, r.Id)
	w[2] = 0x80 | byte(r.Opcode&0xF)<<3 | bit(r.RecursionDesired, 0x01) // as SetReply
	w[3] = bit(r.CheckingDisabled, 0x10) | byte(rcode)
	w[5] = 1 // QDCOUNT
	if soa {
		w[9] = 1 // NSCOUNT
	}
	w, ok = appendName(w, q.Name)
	if !ok {
		return nil, false
	}
	w = binary.BigEndian.AppendUint16(w, q.Qtype)
	w = binary.BigEndian.AppendUint16(w, q.Qclass)
	if !soa {
		return w, true
	}
	if w, ok = appendName(w, owner); !ok {
		return nil, false
	}
	w = binary.BigEndian.AppendUint16(w, dns.TypeSOA)
	w = binary.BigEndian.AppendUint16(w, dns.ClassINET)
	w = binary.BigEndian.AppendUint32(w, m.ttl)
	w = binary.BigEndian.AppendUint16(w, uint16(len(m.soaRData)))
	return append(w, m.soaRData...), true
}

// appendName packs a presentation name, uncompressed.
func appendName(w []byte, name string) ([]byte, bool) {
	start := len(w)
	w = append(w, make([]byte, len(name)+2)...)
	off, err := dns.PackDomainName(dns.Fqdn(name), w, start, nil, false)
	if err != nil {
		return nil, false
	}
	return w[:off], true
}
