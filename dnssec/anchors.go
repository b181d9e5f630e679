package dnssec

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/miekg/dns"
)

// rootAnchors are the root zone's key-signing keys as IANA publishes them
// (https://data.iana.org/root-anchors/root-anchors.xml): KSK-2017 (key tag
// 20326) and KSK-2024 (key tag 38696), both RSASHA256 with SHA-256 digests.
// Both are trusted so that the 2026 rollover from one to the other needs no
// configuration change.
var rootAnchors = []string{
	". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D",
	". IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16",
}

// Anchors are trust anchors: for each zone, the DS records or DNSKEYs its
// key set must match. Keys are canonical zone names.
type Anchors map[string]*anchor

type anchor struct {
	ds   []*dns.DS
	keys []*dns.DNSKEY
}

// RootAnchors returns the built-in root trust anchors.
func RootAnchors() Anchors {
	a, err := ParseAnchors(strings.NewReader(strings.Join(rootAnchors, "\n")), "builtin")
	if err != nil {
		panic(fmt.Sprintf("dnssec: built-in root anchors: %v", err)) // a typo above, caught by any test
	}
	return a
}

// LoadAnchors reads a trust-anchor file.
func LoadAnchors(path string) (Anchors, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("trust anchors: %w", err)
	}
	defer f.Close()
	return ParseAnchors(f, path)
}

// ParseAnchors reads DS and DNSKEY records in zone-file form, as Unbound's
// trust-anchor-file does: owner names must be absolute (there is no
// $ORIGIN to default to), comments and $TTL lines are fine, and any other
// record type is an error, since a misread anchor must never be trusted
// silently. A DNSKEY without the zone-key bit is refused likewise.
func ParseAnchors(r io.Reader, file string) (Anchors, error) {
	zp := dns.NewZoneParser(r, ".", file)
	zp.SetIncludeAllowed(false)
	zp.SetDefaultTTL(3600) // anchor files carry no TTLs; it is never used
	out := Anchors{}
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		name := dns.CanonicalName(rr.Header().Name)
		a := out[name]
		if a == nil {
			a = &anchor{}
			out[name] = a
		}
		switch x := rr.(type) {
		case *dns.DS:
			x.Hdr.Name = name
			a.ds = append(a.ds, x)
		case *dns.DNSKEY:
			if x.Flags&dns.ZONE == 0 {
				return nil, fmt.Errorf("trust anchors %s: DNSKEY %s (key tag %d) has no zone-key bit", file, name, x.KeyTag())
			}
			x.Hdr.Name = name
			a.keys = append(a.keys, x)
		default:
			return nil, fmt.Errorf("trust anchors %s: %s record for %s: only DS and DNSKEY are trust anchors", file, dns.TypeToString[rr.Header().Rrtype], name)
		}
	}
	if err := zp.Err(); err != nil {
		return nil, fmt.Errorf("trust anchors: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("trust anchors %s: no DS or DNSKEY records", file)
	}
	return out, nil
}

// closest returns the anchored zone closest to name (name itself or its
// nearest ancestor with an anchor), or "" when no anchor covers name.
func (a Anchors) closest(name string) string {
	for n := name; ; {
		if _, ok := a[n]; ok {
			return n
		}
		if n == "." {
			return ""
		}
		n = parent(n)
	}
}

// parent returns the name one label up; the root's parent is the root.
func parent(name string) string {
	i, end := dns.NextLabel(name, 0)
	if end {
		return "."
	}
	return name[i:]
}
