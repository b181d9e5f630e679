package resolver

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/policy"
	"github.com/cleandns/cleandns/query"
)

// TTLs of locally made answers: long enough to spare the server, short
// enough that adding a forward zone for, say, corp.local soon takes effect.
const (
	specialTTL = 300
	bypassTTL  = 60
)

type zoneKind uint8

const (
	kindEmpty     zoneKind = iota // an empty zone: the apex exists, nothing below it
	kindLocalhost                 // localhost and every name below it are loopback
	kindBypass                    // bypass protection: NXDOMAIN, with an EDE
)

// SpecialLink answers special-use names locally (RFC 6761 and the RFCs
// after it, and RFC 6303's private reverse zones), so they never leak
// upstream, and the bypass-protection names. A forward zone that covers a
// special-use name wins: an Active Directory domain under .local is
// forwarded to its domain controllers.
type SpecialLink struct {
	zones map[string]zoneKind
	// tlds holds the last label of every zone, with the fewest and most
	// labels of its zones: most names are rejected with one lookup, and
	// the rest look up only their suffixes of those lengths (a .com name
	// one, for mask.icloud.com, instead of one per label).
	tlds    map[string]depths
	covered func(name string) bool
}

var _ Link = (*SpecialLink)(nil)

// NewSpecialLink returns the link. covered reports whether a forward zone
// covers a name (upstream.Forwarder.Covers); nil means none does.
func NewSpecialLink(bypass policy.BypassConfig, covered func(name string) bool) *SpecialLink {
	if covered == nil {
		covered = func(string) bool { return false }
	}
	l := &SpecialLink{zones: make(map[string]zoneKind), covered: covered}
	l.zones["localhost."] = kindLocalhost
	for _, z := range specialZones() {
		l.zones[z] = kindEmpty
	}
	if bypass.FirefoxCanary {
		l.zones["use-application-dns.net."] = kindBypass
	}
	if bypass.PrivateRelay {
		l.zones["mask.icloud.com."] = kindBypass
		l.zones["mask-h2.icloud.com."] = kindBypass
	}
	l.tlds = make(map[string]depths)
	for z := range l.zones {
		n := labels(z)
		d, ok := l.tlds[tld(z)]
		if !ok {
			d = depths{min: n, max: n}
		}
		l.tlds[tld(z)] = depths{min: min(d.min, n), max: max(d.max, n)}
	}
	return l
}

// depths are the fewest and the most labels of the zones under one TLD.
type depths struct{ min, max int }

// labels is the number of dots of a fully qualified name: its labels.
func labels(name string) int { return strings.Count(name, ".") }

// tld returns the last label of a fully qualified name, with its dot.
func tld(name string) string {
	if i := strings.LastIndexByte(name[:max(len(name)-1, 0)], '.'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// specialZones are the zones answered as empty, apex first.
func specialZones() []string {
	zones := []string{
		"invalid.", "test.", // RFC 6761
		"onion.",         // RFC 7686: Tor names must not leak to DNS
		"local.",         // RFC 6762: multicast DNS names
		"home.arpa.",     // RFC 8375: homenet names
		"resolver.arpa.", // RFC 9462: we offer no designated resolvers
		// RFC 6303 reverse zones: private, loopback, link-local and
		// documentation ranges, whose PTR queries only leak upstream.
		"0.in-addr.arpa.", "10.in-addr.arpa.", "127.in-addr.arpa.", "254.169.in-addr.arpa.",
		"168.192.in-addr.arpa.", "2.0.192.in-addr.arpa.", "100.51.198.in-addr.arpa.",
		"113.0.203.in-addr.arpa.", "255.255.255.255.in-addr.arpa.",
		"d.f.ip6.arpa.", "8.e.f.ip6.arpa.", "9.e.f.ip6.arpa.", "a.e.f.ip6.arpa.", "b.e.f.ip6.arpa.",
		"8.b.d.0.1.0.0.2.ip6.arpa.",
		strings.Repeat("0.", 32) + "ip6.arpa.",        // ::
		"1." + strings.Repeat("0.", 31) + "ip6.arpa.", // ::1
	}
	for i := 16; i <= 31; i++ {
		zones = append(zones, fmt.Sprintf("%d.172.in-addr.arpa.", i))
	}
	for i := 64; i <= 127; i++ { // 100.64.0.0/10, shared address space (RFC 7793)
		zones = append(zones, fmt.Sprintf("%d.100.in-addr.arpa.", i))
	}
	return zones
}

// loopbackPTR are the reverse names of 127.0.0.1 and ::1.
var loopbackPTR = map[string]bool{
	"1.0.0.127.in-addr.arpa.":                     true,
	"1." + strings.Repeat("0.", 31) + "ip6.arpa.": true,
}

// Resolve answers special-use and bypass names and passes the rest on.
func (l *SpecialLink) Resolve(ctx context.Context, req *query.Request, next Handler) (*query.Response, error) {
	apex, kind, ok := l.match(req.Name)
	if !ok || (kind != kindBypass && l.covered(req.Name)) {
		return next.Resolve(ctx, req)
	}
	m := new(dns.Msg)
	m.SetReply(req.Msg)
	m.Authoritative = true
	switch kind {
	case kindBypass:
		m.Rcode = dns.RcodeNameError
		m.Ns = []dns.RR{localSOA(apex, bypassTTL)}
		return &query.Response{Msg: m, Result: query.Local, Reason: "bypass",
			EDE: &dns.EDNS0_EDE{InfoCode: query.EDEBlocked, ExtraText: "bypass protection (" + strings.TrimSuffix(apex, ".") + ")"}}, nil
	case kindLocalhost:
		m.Answer = loopback(req.Msg.Question[0])
	default:
		l.empty(m, req, apex)
	}
	if len(m.Answer) == 0 {
		m.Ns = []dns.RR{localSOA(apex, specialTTL)}
	}
	return &query.Response{Msg: m, Result: query.Local, Reason: "special-use"}, nil
}

// empty answers as an empty zone would: the apex has its SOA, names below it
// do not exist, except the loopback addresses' PTR names.
func (l *SpecialLink) empty(m *dns.Msg, req *query.Request, apex string) {
	q := req.Msg.Question[0]
	switch {
	case loopbackPTR[req.Name]:
		if req.Type == dns.TypePTR {
			m.Answer = []dns.RR{&dns.PTR{Hdr: hdr(q, specialTTL), Ptr: "localhost."}}
		}
	case req.Name == apex:
		if req.Type == dns.TypeSOA {
			m.Answer = []dns.RR{localSOA(apex, specialTTL)}
		}
	default:
		m.Rcode = dns.RcodeNameError
	}
}

// match finds the most specific special zone holding name.
// Only its suffixes with as many labels as a zone under its TLD can be one.
func (l *SpecialLink) match(name string) (string, zoneKind, bool) {
	d, ok := l.tlds[tld(name)]
	if !ok {
		return "", 0, false
	}
	for off, n := 0, labels(name); off < len(name) && n >= d.min; n-- {
		if n <= d.max {
			if kind, ok := l.zones[name[off:]]; ok {
				return name[off:], kind, true
			}
		}
		i := strings.IndexByte(name[off:], '.')
		if i < 0 {
			break
		}
		off += i + 1
	}
	return "", 0, false
}

func loopback(q dns.Question) []dns.RR {
	switch q.Qtype {
	case dns.TypeA:
		return []dns.RR{&dns.A{Hdr: hdr(q, specialTTL), A: net.IPv4(127, 0, 0, 1).To4()}}
	case dns.TypeAAAA:
		return []dns.RR{&dns.AAAA{Hdr: hdr(q, specialTTL), AAAA: net.IPv6loopback}}
	}
	return nil
}

func hdr(q dns.Question, ttl uint32) dns.RR_Header {
	return dns.RR_Header{Name: q.Name, Rrtype: q.Qtype, Class: dns.ClassINET, Ttl: ttl}
}

// localSOA is the SOA of a zone cleandns answers for itself, after RFC 6303.
func localSOA(zone string, ttl uint32) *dns.SOA {
	return &dns.SOA{
		Hdr:     dns.RR_Header{Name: zone, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: ttl},
		Ns:      zone,
		Mbox:    "nobody.invalid.",
		Serial:  1,
		Refresh: 3600,
		Retry:   1200,
		Expire:  604800,
		Minttl:  ttl,
	}
}
