package blocklist

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// Rewrite is one answer a rule gives instead of the real one: an rcode
// alone (NXDOMAIN, REFUSED, NOERROR with no data), or a record.
type Rewrite struct {
	RCode int    // dns.RcodeSuccess, dns.RcodeNameError, dns.RcodeRefused, dns.RcodeServerFailure
	Type  uint16 // the record's type; 0 for an rcode alone
	// RR is the record with the root as owner and a zero TTL: the answer
	// copies it under the query name.
	RR dns.RR
}

// rcodes $dnsrewrite may name.
var rewriteRcodes = map[string]int{
	"NOERROR":  dns.RcodeSuccess,
	"NXDOMAIN": dns.RcodeNameError,
	"REFUSED":  dns.RcodeRefused,
	"SERVFAIL": dns.RcodeServerFailure,
}

// errEmptyRewrite is a $dnsrewrite without a value, which only an
// exception may carry.
var errEmptyRewrite = errors.New("$dnsrewrite without a value")

// parseDNSRewrite reads the value of $dnsrewrite in its short forms
// ("1.2.3.4", "::1", "cname.example", "REFUSED") and its full form
// ("NOERROR;MX;32 mail.example.com").
func parseDNSRewrite(v string) (Rewrite, error) {
	if v == "" {
		return Rewrite{}, errEmptyRewrite
	}
	if !strings.Contains(v, ";") {
		if rc, ok := rewriteRcodes[strings.ToUpper(v)]; ok {
			return Rewrite{RCode: rc}, nil
		}
		if ip, err := netip.ParseAddr(v); err == nil {
			return addressRewrite(ip), nil
		}
		return recordRewrite(dns.RcodeSuccess, "CNAME", v)
	}
	parts := strings.SplitN(v, ";", 3)
	if len(parts) != 3 {
		return Rewrite{}, fmt.Errorf("$dnsrewrite %q: want RCODE;TYPE;VALUE", v)
	}
	rc, ok := rewriteRcodes[strings.ToUpper(parts[0])]
	if !ok {
		return Rewrite{}, fmt.Errorf("$dnsrewrite rcode %q", parts[0])
	}
	if parts[1] == "" && parts[2] == "" {
		return Rewrite{RCode: rc}, nil
	}
	if rc != dns.RcodeSuccess {
		return Rewrite{}, fmt.Errorf("$dnsrewrite %q: only NOERROR carries a record", v)
	}
	return recordRewrite(rc, strings.ToUpper(parts[1]), parts[2])
}

// addressRewrite answers A or AAAA queries with ip.
func addressRewrite(ip netip.Addr) Rewrite {
	ip = ip.Unmap()
	hdr := dns.RR_Header{Name: ".", Class: dns.ClassINET}
	if ip.Is4() {
		hdr.Rrtype = dns.TypeA
		return Rewrite{Type: dns.TypeA, RR: &dns.A{Hdr: hdr, A: ip.AsSlice()}}
	}
	hdr.Rrtype = dns.TypeAAAA
	return Rewrite{Type: dns.TypeAAAA, RR: &dns.AAAA{Hdr: hdr, AAAA: ip.AsSlice()}}
}

// recordRewrite reads a record's value in zone-file form. TXT values are
// text as AdGuard writes them, quoted here for the zone-file parser.
func recordRewrite(rc int, typ, value string) (Rewrite, error) {
	t, ok := dns.StringToType[typ]
	if !ok {
		return Rewrite{}, fmt.Errorf("$dnsrewrite type %q", typ)
	}
	switch t {
	case dns.TypeA, dns.TypeAAAA, dns.TypeCNAME, dns.TypeTXT, dns.TypeMX, dns.TypeHTTPS, dns.TypeSVCB, dns.TypePTR, dns.TypeSRV:
	default:
		return Rewrite{}, fmt.Errorf("$dnsrewrite type %s: %w", typ, ErrUnsupported)
	}
	if t == dns.TypeTXT {
		value = strconv.Quote(value)
	}
	rr, err := NewRecord(".", t, value)
	if err != nil {
		return Rewrite{}, fmt.Errorf("$dnsrewrite %s %q: %w", typ, value, err)
	}
	return Rewrite{RCode: rc, Type: t, RR: rr}, nil
}

// NewRecord parses a record's value in zone-file form ("10 mx.example." for
// MX) under owner. Names in the value are taken as absolute.
func NewRecord(owner string, t uint16, value string) (dns.RR, error) {
	if strings.ContainsAny(value, "\n\r\x00") {
		return nil, errors.New("value holds a line break or NUL")
	}
	rr, err := dns.NewRR(dns.Fqdn(owner) + " 0 IN " + dns.TypeToString[t] + " " + value)
	if err != nil {
		return nil, err
	}
	if rr == nil || rr.Header().Rrtype != t {
		return nil, errors.New("no record")
	}
	return rr, nil
}
