package metrics

import (
	"sort"

	"github.com/miekg/dns"
)

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

// QTypeCount is the number of distinct qtype labels, "other" included.
const QTypeCount = 17

// qtypeIndex maps the qtypes below 260 to 1+their label's index; 0 is
// "other". An array, not the map, so a label lookup on the hot path costs
// one load.
var (
	qtypeIndex [260]uint8
	qtypeNames [QTypeCount]string
)

func init() {
	types := make([]int, 0, len(qtypeLabels))
	for t := range qtypeLabels {
		types = append(types, int(t))
	}
	sort.Ints(types)
	for i, t := range types {
		qtypeIndex[t] = uint8(i + 1)
		qtypeNames[i] = qtypeLabels[uint16(t)]
	}
	qtypeNames[QTypeCount-1] = "other"
}

// QTypeIndex returns a small number in [0, QTypeCount) that identifies the
// qtype label of t, for callers that keep resolved series in an array.
func QTypeIndex(t uint16) int {
	if int(t) < len(qtypeIndex) && qtypeIndex[t] != 0 {
		return int(qtypeIndex[t]) - 1
	}
	return QTypeCount - 1
}

// QTypeName returns the label of a QTypeIndex.
func QTypeName(i int) string { return qtypeNames[i] }
