package metrics

import "github.com/miekg/dns"

// QType returns the qtype label for t: its name when it is one of a fixed set
// of common types, "other" otherwise, so a client cannot grow the series.
func QType(t uint16) string {
	if s, ok := qtypeLabels[t]; ok {
		return s
	}
	return "other"
}

var qtypeLabels = map[uint16]string{
	dns.TypeA: "A", dns.TypeAAAA: "AAAA", dns.TypeCNAME: "CNAME", dns.TypeMX: "MX",
	dns.TypeTXT: "TXT", dns.TypeNS: "NS", dns.TypeSOA: "SOA", dns.TypePTR: "PTR",
	dns.TypeSRV: "SRV", dns.TypeHTTPS: "HTTPS", dns.TypeSVCB: "SVCB", dns.TypeANY: "ANY",
	dns.TypeDS: "DS", dns.TypeDNSKEY: "DNSKEY", dns.TypeCAA: "CAA", dns.TypeNAPTR: "NAPTR",
}
