package resolver

import (
	"encoding/binary"
	"strings"

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
	owner := ownerName(rule.Domain, req.Name)
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

// ownerName is the SOA owner for a block by a rule for domain: the domain,
// fully qualified, or the root for a rule without one. The rule's domain is
// usually the tail of the query's name (lower case, fully qualified), which
// is then sliced rather than concatenated: no allocation per block.
func ownerName(domain, qname string) string {
	switch {
	case domain == "":
		return "."
	case len(qname) > len(domain) && qname[len(qname)-1] == '.' &&
		qname[len(qname)-1-len(domain):len(qname)-1] == domain &&
		(len(qname) == len(domain)+1 || qname[len(qname)-2-len(domain)] == '.'):
		return qname[len(qname)-1-len(domain):]
	}
	return dns.Fqdn(domain)
}

// appendName packs a presentation name, uncompressed. A name without
// escapes (what nearly every query has) is packed label by label here:
// miekg's PackDomainName, which handles escapes and compression, was 14%
// of a blocked query's instructions. Names with a backslash go to it.
func appendName(w []byte, name string) ([]byte, bool) {
	if strings.IndexByte(name, '\\') >= 0 || len(name) > 254 {
		return appendNameMiekg(w, name)
	}
	start := len(w)
	for len(name) > 0 && name != "." {
		i := strings.IndexByte(name, '.')
		label := name
		if i >= 0 {
			label, name = name[:i], name[i+1:]
		} else {
			name = ""
		}
		if len(label) == 0 || len(label) > 63 {
			return nil, false // an empty label (..) or one too long: not a name
		}
		w = append(w, byte(len(label)))
		w = append(w, label...)
	}
	w = append(w, 0)
	if len(w)-start > 255 {
		return nil, false
	}
	return w, true
}

// appendNameMiekg is appendName by miekg's packer, for escaped names.
func appendNameMiekg(w []byte, name string) ([]byte, bool) {
	start := len(w)
	w = append(w, make([]byte, len(name)+2)...)
	off, err := dns.PackDomainName(dns.Fqdn(name), w, start, nil, false)
	if err != nil {
		return nil, false
	}
	return w[:off], true
}
