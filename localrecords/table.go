package localrecords

import (
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// table is one immutable generation of the records.
type table struct {
	names map[string][]dns.RR // owner name -> its records, PTRs included
}

// build makes a table of the config's records and the hosts file's (which
// must already be RRs). A name with a CNAME can have no other record
// (RFC 1034 3.6.2).
func build(records []Record, hosts []dns.RR, defTTL time.Duration) (*table, error) {
	t := &table{names: map[string][]dns.RR{}}
	var addrs []dns.RR
	for i, r := range records {
		rr, err := r.parse(defTTL)
		if err != nil {
			return nil, fmt.Errorf("local_records.records[%d].%w", i, err)
		}
		if err := t.add(rr); err != nil {
			return nil, fmt.Errorf("local_records.records[%d]: %w", i, err)
		}
		addrs = append(addrs, rr)
	}
	for _, rr := range hosts {
		if t.conflicts(rr) {
			continue // the config's CNAME wins over a hosts-file address
		}
		_ = t.add(rr)
		addrs = append(addrs, rr)
	}
	for _, rr := range addrs {
		t.addPTR(rr)
	}
	return t, nil
}

func (t *table) conflicts(rr dns.RR) bool {
	name := rr.Header().Name
	for _, have := range t.names[name] {
		if have.Header().Rrtype == dns.TypeCNAME || rr.Header().Rrtype == dns.TypeCNAME {
			return true
		}
	}
	return false
}

func (t *table) add(rr dns.RR) error {
	name := rr.Header().Name
	if t.conflicts(rr) {
		return fmt.Errorf("%s: a name with a CNAME can have no other record", strings.TrimSuffix(name, "."))
	}
	for _, have := range t.names[name] {
		if dns.IsDuplicate(have, rr) {
			return nil
		}
	}
	t.names[name] = append(t.names[name], rr)
	return nil
}

// addPTR adds the reverse record of an address record.
func (t *table) addPTR(rr dns.RR) {
	var ip net.IP
	switch rr := rr.(type) {
	case *dns.A:
		ip = rr.A
	case *dns.AAAA:
		ip = rr.AAAA
	default:
		return
	}
	rev, err := dns.ReverseAddr(ip.String())
	if err != nil {
		return
	}
	h := rr.Header()
	ptr := &dns.PTR{Hdr: dns.RR_Header{Name: rev, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: h.Ttl}, Ptr: h.Name}
	_ = t.add(ptr)
}

// maxChain bounds CNAME chasing inside the table.
const maxChain = 8

// lookup returns the answer records for name and qtype, following local
// CNAMEs; ok is false when name is not a local name at all.
func (t *table) lookup(name string, qtype uint16) (answer []dns.RR, ok bool) {
	rrs, ok := t.names[name]
	if !ok {
		return nil, false
	}
	for range maxChain {
		var next string
		for _, rr := range rrs {
			h := rr.Header()
			switch {
			case h.Rrtype == qtype || qtype == dns.TypeANY:
				answer = append(answer, dns.Copy(rr))
			case h.Rrtype == dns.TypeCNAME:
				answer = append(answer, dns.Copy(rr))
				next = rr.(*dns.CNAME).Target
			}
		}
		if next == "" || qtype == dns.TypeCNAME {
			return answer, true
		}
		if rrs = t.names[next]; rrs == nil {
			return answer, true // an outside target: the client resolves it
		}
	}
	return answer, true
}
