package dnssec

import "github.com/miekg/dns"

// nsecCovers reports whether n proves that name does not exist: name sorts
// strictly between n's owner and its next name (the zone's last NSEC wraps
// to the apex).
func (p *proof) nsecCovers(n *dns.NSEC, name string) bool {
	owner, next := dns.CanonicalName(n.Hdr.Name), dns.CanonicalName(n.NextDomain)
	if !isAncestor(p.zone, name) || canonicalCompare(owner, name) >= 0 {
		return false
	}
	if isProperAncestor(owner, name) && delegation(n.TypeBitMap) {
		return false // names below a cut are not the parent's to deny
	}
	if canonicalCompare(owner, next) < 0 {
		return canonicalCompare(name, next) < 0
	}
	return true
}

func (p *proof) nsecCovering(name string) *dns.NSEC {
	for _, n := range p.nsec {
		if p.nsecCovers(n, name) {
			return n
		}
	}
	return nil
}

func (p *proof) nsecMatching(name string) *dns.NSEC {
	for _, n := range p.nsec {
		if dns.CanonicalName(n.Hdr.Name) == name {
			return n
		}
	}
	return nil
}

// nsecEncloser is the closest encloser a covering NSEC implies: the
// longest ancestor name shares with the NSEC's owner or next name.
func (p *proof) nsecEncloser(name string, n *dns.NSEC) string {
	ce := commonAncestor(name, dns.CanonicalName(n.Hdr.Name))
	if alt := commonAncestor(name, dns.CanonicalName(n.NextDomain)); dns.CountLabel(alt) > dns.CountLabel(ce) {
		ce = alt
	}
	if !isAncestor(p.zone, ce) {
		ce = p.zone
	}
	return ce
}

func (p *proof) nsecNXDomain(name string) proofResult {
	c := p.nsecCovering(name)
	if c == nil {
		return proofNone
	}
	wc := "*." + p.nsecEncloser(name, c)
	if p.nsecMatching(wc) == nil && p.nsecCovering(wc) != nil {
		return proofOK
	}
	return proofNone
}

func (p *proof) nsecNoData(name string, qtype uint16) proofResult {
	if m := p.nsecMatching(name); m != nil {
		return noDataAt(m.TypeBitMap, qtype)
	}
	c := p.nsecCovering(name)
	if c == nil {
		return proofNone
	}
	// An empty non-terminal: the next name lies below name (RFC 4035 §3.1.3.2).
	if isProperAncestor(name, dns.CanonicalName(c.NextDomain)) {
		return proofOK
	}
	// A wildcard that exists but lacks the type (RFC 4035 §3.1.3.4).
	if w := p.nsecMatching("*." + p.nsecEncloser(name, c)); w != nil &&
		!hasType(w.TypeBitMap, qtype) && !hasType(w.TypeBitMap, dns.TypeCNAME) {
		return proofOK
	}
	return proofNone
}

func (p *proof) nsecDenyDS(name string) proofResult {
	if m := p.nsecMatching(name); m != nil {
		return dsAt(m.TypeBitMap)
	}
	for _, n := range p.nsec {
		owner := dns.CanonicalName(n.Hdr.Name)
		// A covering NSEC at an unsigned delegation above name: name lies
		// in that unsigned zone.
		if isProperAncestor(owner, name) && isProperAncestor(p.zone, owner) && delegation(n.TypeBitMap) &&
			!hasType(n.TypeBitMap, dns.TypeDS) && canonicalCompare(owner, name) < 0 {
			return proofUnsigned
		}
	}
	if p.nsecCovering(name) != nil {
		return proofNoCut
	}
	return proofNone
}
