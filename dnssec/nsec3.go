package dnssec

import "github.com/miekg/dns"

// nsec3Usable checks the NSEC3 set is one we can judge: SHA-1 hashes (the
// only ones defined), from zone, with a bounded iteration count.
func (p *proof) nsec3Usable() proofResult {
	if len(p.nsec3) == 0 {
		return proofNone
	}
	for _, n := range p.nsec3 {
		if n.Hash != dns.SHA1 || parent(dns.CanonicalName(n.Hdr.Name)) != p.zone {
			return proofNone
		}
		if n.Iterations > maxIterations {
			return proofIterations
		}
	}
	return proofOK
}

func (p *proof) nsec3Matching(name string) *dns.NSEC3 {
	for _, n := range p.nsec3 {
		if n.Match(name) {
			return n
		}
	}
	return nil
}

func (p *proof) nsec3Covering(name string) *dns.NSEC3 {
	for _, n := range p.nsec3 {
		if n.Cover(name) && !n.Match(name) {
			return n
		}
	}
	return nil
}

// closestEncloser finds the longest ancestor of name (name excluded) with
// a matching NSEC3, and the NSEC3 covering the next closer name below it
// (RFC 5155 §8.3). ok is false when there is no such proof.
func (p *proof) closestEncloser(name string) (ce string, ceRec, ncCover *dns.NSEC3, ok bool) {
	for n := parent(name); isAncestor(p.zone, n); n = parent(n) {
		if m := p.nsec3Matching(n); m != nil {
			c := p.nsec3Covering(childOn(n, name))
			return n, m, c, c != nil
		}
		if n == p.zone || n == "." {
			break
		}
	}
	return "", nil, nil, false
}

func optOut(n *dns.NSEC3) bool { return n.Flags&1 == 1 }

func (p *proof) nsec3NXDomain(name string) proofResult {
	if r := p.nsec3Usable(); r != proofOK {
		return r
	}
	if p.nsec3Matching(name) != nil {
		return proofNone
	}
	ce, ceRec, nc, ok := p.closestEncloser(name)
	if !ok || delegation(ceRec.TypeBitMap) || hasType(ceRec.TypeBitMap, dns.TypeDNAME) {
		return proofNone
	}
	if p.nsec3Covering("*."+ce) == nil {
		return proofNone
	}
	if optOut(nc) {
		return proofOptOut // an unsigned delegation might hide there
	}
	return proofOK
}

func (p *proof) nsec3NoData(name string, qtype uint16) proofResult {
	if r := p.nsec3Usable(); r != proofOK {
		return r
	}
	if m := p.nsec3Matching(name); m != nil {
		return noDataAt(m.TypeBitMap, qtype)
	}
	ce, _, nc, ok := p.closestEncloser(name)
	if !ok {
		return proofNone
	}
	if qtype == dns.TypeDS && optOut(nc) {
		return proofOptOut // RFC 5155 §8.6
	}
	if w := p.nsec3Matching("*." + ce); w != nil && !hasType(w.TypeBitMap, qtype) && !hasType(w.TypeBitMap, dns.TypeCNAME) {
		return proofOK // RFC 5155 §8.7
	}
	return proofNone
}

func (p *proof) nsec3DenyDS(name string) proofResult {
	if r := p.nsec3Usable(); r != proofOK {
		return r
	}
	if m := p.nsec3Matching(name); m != nil {
		return dsAt(m.TypeBitMap)
	}
	ce, ceRec, nc, ok := p.closestEncloser(name)
	if !ok {
		return proofNone
	}
	if ce != p.zone && delegation(ceRec.TypeBitMap) {
		if hasType(ceRec.TypeBitMap, dns.TypeDS) {
			return proofNone
		}
		return proofUnsigned // name lies below an unsigned cut
	}
	if optOut(nc) {
		return proofOptOut
	}
	return proofNoCut
}
