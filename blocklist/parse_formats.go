package blocklist

import (
	"fmt"
	"net/netip"
	"strings"
)

// parseDnsmasq reads "address=/a/b/[target]", "server=/a/[target]" and
// "local=/a/". They block when the target is empty or a null address;
// address=/x/1.2.3.4 rewrites x and its subdomains to the address, and
// server=/x/1.2.3.4 is forwarding, which lists do not do (skipped).
func parseDnsmasq(line string, emit func(Entry)) error {
	key, value, _ := strings.Cut(line, "=")
	// Cut by hand rather than by strings.Split, which would allocate a
	// slice per line of a list read twice per load.
	last := strings.LastIndexByte(value, '/')
	if !strings.HasPrefix(value, "/") || last == 0 {
		return fmt.Errorf("dnsmasq %s line without /domain/", key)
	}
	target := value[last+1:]
	var rewrite netip.Addr
	switch target {
	case "", "#", "0.0.0.0", "::", "127.0.0.1", "::1":
	default:
		addr, err := netip.ParseAddr(target)
		if key != "address" || err != nil {
			return fmt.Errorf("dnsmasq %s=/…/%s: %w", key, target, ErrUnsupported)
		}
		rewrite = addr
	}
	var first error
	for name := range strings.SplitSeq(value[1:last], "/") {
		if name == "" || name == "#" {
			// dnsmasq's "/#/" means every domain; a list must not do that.
			continue
		}
		d, err := normalizeDomain(name)
		if err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		if rewrite.IsValid() {
			emit(Entry{ext: addressRule(d, anchorLabel, rewrite, line)})
			continue
		}
		emit(Entry{Domain: d})
	}
	return first
}

// addressRule is the rewrite of a hosts line or a dnsmasq address= line:
// d itself (anchorHost) or d and its subdomains (anchorLabel) answered with
// addr. text is the rule as written.
func addressRule(d string, start uint8, addr netip.Addr, text string) *extRule {
	d = strings.Clone(d)
	return &extRule{
		text:    strings.Clone(text),
		canon:   d,
		pat:     pattern{start: start, end: true, parts: []string{d}},
		rewrite: []Rewrite{addressRewrite(addr)},
	}
}

// parseRPZ reads a Response Policy Zone record: "name [ttl] [class] type rdata".
// "name CNAME ." (NXDOMAIN) blocks the name, "*.name CNAME ." its subdomains,
// and "CNAME rpz-passthru." makes an exception; other actions and local data
// are skipped. Names are taken relative to the root: a list that writes them
// absolute under its $ORIGIN is not supported.
func parseRPZ(fields []string, emit func(Entry)) error {
	owner, i := fields[0], 1
	if isRecordStart(fields[0]) {
		// A record without an owner (indented in the zone file) belongs to
		// the owner before it: every RPZ zone's "NS localhost." is one.
		owner, i = "", 0
	}
	for ; i < len(fields)-1; i++ {
		f := strings.ToUpper(fields[i])
		if f != "IN" && strings.Trim(f, "0123456789") != "" {
			break
		}
	}
	rrtype := strings.ToUpper(fields[i])
	switch rrtype {
	case "SOA", "NS":
		return nil // the zone's own apex records
	case "CNAME":
		if owner == "" {
			return fmt.Errorf("RPZ record without an owner: %w", ErrUnsupported)
		}
	default:
		if !isRRType(rrtype) {
			return fmt.Errorf("line of %d fields in no known format", len(fields))
		}
		return fmt.Errorf("RPZ local data (%s): %w", rrtype, ErrUnsupported)
	}
	if i+2 != len(fields) {
		return fmt.Errorf("RPZ CNAME record with %d fields", len(fields))
	}
	e := Entry{Exact: true}
	if rest, ok := strings.CutPrefix(owner, "*."); ok {
		owner, e.Exact, e.Below = rest, false, true
	}
	switch strings.ToLower(fields[i+1]) {
	case ".":
	case "rpz-passthru.":
		e.Allow = true
	default:
		return fmt.Errorf("RPZ action CNAME %s: %w", fields[i+1], ErrUnsupported)
	}
	d, err := normalizeDomain(owner)
	if err != nil {
		return err
	}
	e.Domain = d
	emit(e)
	return nil
}

// isRecordStart reports a zone-file field that can open an owner-less
// record: a TTL, the class or a type.
func isRecordStart(f string) bool {
	if f != "" && strings.Trim(f, "0123456789") == "" {
		return true // a TTL
	}
	if len(f) > 5 {
		return false // no type is longer, and upper-casing an owner allocates
	}
	f = strings.ToUpper(f)
	return f == "IN" || f == "NS" || f == "SOA" || f == "CNAME" || isRRType(f)
}

func isRRType(s string) bool {
	switch s {
	case "A", "AAAA", "TXT", "MX", "PTR", "SRV", "DNAME", "HTTPS", "SVCB", "CAA", "NAPTR":
		return true
	}
	return false
}
