package localrecords

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// parseHosts reads hosts(5) lines: "IP name [alias...]", # comments. Lines
// for 0.0.0.0 and :: are blocklist entries, not names, and are skipped, as
// are malformed lines (counted in skipped).
func parseHosts(r io.Reader, ttl time.Duration) (rrs []dns.RR, skipped int, err error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		ip, err := netip.ParseAddr(f[0])
		if err != nil || len(f) < 2 || ip.IsUnspecified() {
			skipped++
			continue
		}
		ip = ip.Unmap().WithZone("")
		for _, n := range f[1:] {
			name := strings.ToLower(dns.Fqdn(n))
			if _, ok := dns.IsDomainName(name); !ok {
				skipped++
				continue
			}
			hdr := dns.RR_Header{Name: name, Class: dns.ClassINET, Ttl: uint32(ttl / time.Second)}
			rr, _ := addrRR(hdr, ip, "")
			rrs = append(rrs, rr)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, 0, fmt.Errorf("read: %w", err)
	}
	return rrs, skipped, nil
}
