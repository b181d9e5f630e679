package blocklist

import (
	"fmt"
	"strings"
)

// parseAdblock reads the network rules of adblock syntax that have a DNS
// meaning: "||name^" (name and subdomains), "|name^" (name only), and the same
// after "@@" as exceptions. Rules naming paths or wildcards inside the name,
// and modifiers other than $important, are skipped: honouring them partly
// would block or allow the wrong names.
func parseAdblock(line string, allow bool, emit func(Entry)) error {
	rule, mods, hasMods := strings.Cut(line, "$")
	if hasMods {
		for mod := range strings.SplitSeq(mods, ",") {
			if mod != "important" {
				return fmt.Errorf("modifier $%s: %w", mod, ErrUnsupported)
			}
		}
	}
	e := Entry{Allow: allow}
	switch {
	case strings.HasPrefix(rule, "||"):
		rule = rule[2:]
	case strings.HasPrefix(rule, "|"):
		rule, e.Exact = rule[1:], true
	}
	rule = strings.TrimSuffix(rule, "|")
	rule = strings.TrimSuffix(rule, "^")
	if rule == "" || strings.ContainsAny(rule, "/*:?=&^|") {
		return fmt.Errorf("adblock pattern %q: %w", line, ErrUnsupported)
	}
	d, err := normalizeDomain(rule)
	if err != nil {
		return err
	}
	e.Domain = d
	emit(e)
	return nil
}

// parseDnsmasq reads "address=/a/b/[target]", "server=/a/[target]" and
// "local=/a/". They block when the target is empty or a null address;
// server=/x/1.2.3.4 is forwarding and address=/x/1.2.3.4 a redirect, which
// cleandns does not do through lists.
func parseDnsmasq(line string, emit func(Entry)) error {
	key, value, _ := strings.Cut(line, "=")
	// Cut by hand rather than by strings.Split, which would allocate a
	// slice per line of a list read twice per load.
	last := strings.LastIndexByte(value, '/')
	if !strings.HasPrefix(value, "/") || last == 0 {
		return fmt.Errorf("dnsmasq %s line without /domain/", key)
	}
	target := value[last+1:]
	switch target {
	case "", "#", "0.0.0.0", "::", "127.0.0.1", "::1":
	default:
		return fmt.Errorf("dnsmasq %s=/…/%s: %w", key, target, ErrUnsupported)
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
		emit(Entry{Domain: d})
	}
	return first
}

// parseRPZ reads a Response Policy Zone record: "name [ttl] [class] type rdata".
// "name CNAME ." (NXDOMAIN) blocks the name, "*.name CNAME ." its subdomains,
// and "CNAME rpz-passthru." makes an exception; other actions and local data
// are skipped. Names are taken relative to the root: a list that writes them
// absolute under its $ORIGIN is not supported.
func parseRPZ(fields []string, emit func(Entry)) error {
	owner, i := fields[0], 1
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

func isRRType(s string) bool {
	switch s {
	case "A", "AAAA", "TXT", "MX", "PTR", "SRV", "DNAME", "HTTPS", "SVCB", "CAA", "NAPTR":
		return true
	}
	return false
}
