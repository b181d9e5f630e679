package localrecords

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// table is one immutable generation of the records.
type table struct {
	names map[string][]dns.RR // owner name -> its records, PTRs included
	// wild holds the wildcards' records by the name they stand under:
	// "*.lab.home.arpa." is kept as "lab.home.arpa.".
	wild map[string][]dns.RR
	// hosts are the hosts file's records the table answers, in file
	// order, for the status page (Records.Hosts); read only.
	hosts []dns.RR
}

// build makes a table of the config's records and the hosts file's (which
// must already be RRs). A name with a CNAME can have no other record
// (RFC 1034 3.6.2).
func build(records []Record, hosts []dns.RR, defTTL time.Duration) (*table, error) {
	t := &table{names: map[string][]dns.RR{}, wild: map[string][]dns.RR{}}
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
		t.hosts = append(t.hosts, rr)
	}
	for _, rr := range addrs {
		t.addPTR(rr)
	}
	if err := t.checkLoops(); err != nil {
		return nil, fmt.Errorf("local_records.records: %w", err)
	}
	return t, nil
}

// checkLoops refuses a CNAME chain that comes back to a name it passed
// (a.lan -> b.lan -> a.lan, or a wildcard's target under itself): lookup
// would answer it as a chain of maxChain CNAMEs that a client chases
// round. Owners are tried in order, so the error names the same loop
// every time.
func (t *table) checkLoops() error {
	var owners []string
	for name, rrs := range t.names {
		if cnameOf(rrs) != "" {
			owners = append(owners, name)
		}
	}
	for parent, rrs := range t.wild {
		if cnameOf(rrs) != "" {
			owners = append(owners, "*."+parent)
		}
	}
	slices.Sort(owners)
	for _, owner := range owners {
		seen := map[string]bool{}
		var path []string
		for cur := owner; cur != ""; {
			path = append(path, strings.TrimSuffix(cur, "."))
			if seen[cur] {
				return fmt.Errorf("a CNAME loop: %s", strings.Join(path, " -> "))
			}
			seen[cur] = true
			rrs, _, ok := t.find(cur)
			if !ok {
				break
			}
			cur = cnameOf(rrs)
		}
	}
	return nil
}

// cnameOf is the target of the CNAME among rrs, "" when there is none.
func cnameOf(rrs []dns.RR) string {
	for _, rr := range rrs {
		if c, ok := rr.(*dns.CNAME); ok {
			return c.Target
		}
	}
	return ""
}

// set is the map rr's owner lives in, and its key there.
func (t *table) set(rr dns.RR) (map[string][]dns.RR, string) {
	name := rr.Header().Name
	if parent, ok := strings.CutPrefix(name, "*."); ok {
		return t.wild, parent
	}
	return t.names, name
}

func (t *table) conflicts(rr dns.RR) bool {
	set, name := t.set(rr)
	for _, have := range set[name] {
		if have.Header().Rrtype == dns.TypeCNAME || rr.Header().Rrtype == dns.TypeCNAME {
			return true
		}
	}
	return false
}

func (t *table) add(rr dns.RR) error {
	if t.conflicts(rr) {
		return fmt.Errorf("%s: a name with a CNAME can have no other record", strings.TrimSuffix(rr.Header().Name, "."))
	}
	set, name := t.set(rr)
	for _, have := range set[name] {
		if dns.IsDuplicate(have, rr) {
			return nil
		}
	}
	set[name] = append(set[name], rr)
	return nil
}

// find returns the records of name: its own, else those of the closest
// wildcard above it (RFC 4592: a wildcard stands for names that have no
// records of their own), with owner the wildcard's; ok is false when name
// is not local.
func (t *table) find(name string) (rrs []dns.RR, wildcard bool, ok bool) {
	if rrs, ok := t.names[name]; ok {
		return rrs, false, true
	}
	if len(t.wild) == 0 {
		return nil, false, false
	}
	for off, end := dns.NextLabel(name, 0); !end; off, end = dns.NextLabel(name, off) {
		if rrs, ok := t.wild[name[off:]]; ok {
			return rrs, true, true
		}
	}
	return nil, false, false
}

// addPTR adds the reverse record of an address record.
func (t *table) addPTR(rr dns.RR) {
	if strings.HasPrefix(rr.Header().Name, "*.") {
		return // a wildcard names no host a reverse lookup could give
	}
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
	rrs, wildcard, ok := t.find(name)
	if !ok {
		return nil, false
	}
	owner := name
	for range maxChain {
		var next string
		for _, rr := range rrs {
			h := rr.Header()
			if h.Rrtype != qtype && qtype != dns.TypeANY && h.Rrtype != dns.TypeCNAME {
				continue
			}
			cp := dns.Copy(rr)
			if wildcard {
				cp.Header().Name = owner // synthesised under the name asked
			}
			answer = append(answer, cp)
			if c, isCNAME := rr.(*dns.CNAME); isCNAME && h.Rrtype != qtype {
				next = c.Target
			}
		}
		if next == "" || qtype == dns.TypeCNAME {
			return answer, true
		}
		if rrs, wildcard, ok = t.find(next); !ok {
			return answer, true // an outside target: the client resolves it
		}
		owner = next
	}
	return answer, true
}
