package dnssec

import "github.com/miekg/dns"

// proofResult is what the validated NSEC or NSEC3 records of a reply prove.
type proofResult uint8

const (
	proofNone       proofResult = iota // nothing: the denial is unproven
	proofOK                            // the denial holds
	proofNoCut                         // (DS lookups) the name is no delegation
	proofUnsigned                      // (DS lookups) an unsigned delegation is at or above the name
	proofOptOut                        // an NSEC3 opt-out span covers the name: it may be unsigned
	proofIterations                    // NSEC3 iterations above maxIterations: treated as unsigned
)

// maxIterations is the NSEC3 iteration count above which a proof is not
// checked and the answer is treated as insecure, as Unbound and BIND do
// (RFC 9276 §3.2 lets validators stop well below the old limits).
const maxIterations = 150

// proof holds the validated denial records of one authority section.
type proof struct {
	zone  string
	nsec  []*dns.NSEC
	nsec3 []*dns.NSEC3
}

// denyDS judges a DS lookup that returned no DS for name.
func (p *proof) denyDS(name string) proofResult {
	if len(p.nsec) > 0 {
		return p.nsecDenyDS(name)
	}
	return p.nsec3DenyDS(name)
}

// nxdomain proves that name does not exist, and no wildcard could have
// made it (RFC 4035 §5.4, RFC 5155 §8.4).
func (p *proof) nxdomain(name string) proofResult {
	if len(p.nsec) > 0 {
		return p.nsecNXDomain(name)
	}
	return p.nsec3NXDomain(name)
}

// nodata proves that name has no records of type qtype (and no CNAME).
func (p *proof) nodata(name string, qtype uint16) proofResult {
	if len(p.nsec) > 0 {
		return p.nsecNoData(name, qtype)
	}
	return p.nsec3NoData(name, qtype)
}

// wildcard proves that an answer synthesised from the wildcard below
// encloser was right to be: owner itself does not exist (RFC 4035 §5.3.4).
func (p *proof) wildcard(owner, encloser string) proofResult {
	if len(p.nsec) > 0 {
		if p.nsecCovering(owner) != nil {
			return proofOK
		}
		return proofNone
	}
	if r := p.nsec3Usable(); r != proofOK {
		return r
	}
	if p.nsec3Covering(childOn(encloser, owner)) != nil {
		return proofOK
	}
	return proofNone
}

// delegation reports an NSEC or NSEC3 bitmap of the parent side of a zone
// cut: NS without SOA. Such a record cannot deny anything at or below its
// owner except the DS set (RFC 6840 §4.1).
func delegation(bitmap []uint16) bool {
	return hasType(bitmap, dns.TypeNS) && !hasType(bitmap, dns.TypeSOA)
}

// noDataAt judges the bitmap of a record matching the name asked for: it
// denies qtype if it lists neither qtype nor a CNAME, and comes from the
// right side of a zone cut (the parent's for DS, the child's otherwise).
func noDataAt(bitmap []uint16, qtype uint16) proofResult {
	switch {
	case hasType(bitmap, qtype), hasType(bitmap, dns.TypeCNAME):
		return proofNone
	case qtype == dns.TypeDS && hasType(bitmap, dns.TypeSOA):
		return proofNone // the child's apex cannot deny the parent's DS
	case qtype != dns.TypeDS && delegation(bitmap):
		return proofNone // the parent's side of a cut says nothing of the child
	}
	return proofOK
}

// dsAt judges, for a DS lookup, the bitmap of a record matching the name:
// a delegation without DS is unsigned; a name without NS is no cut.
func dsAt(bitmap []uint16) proofResult {
	switch {
	case hasType(bitmap, dns.TypeDS), hasType(bitmap, dns.TypeSOA):
		return proofNone
	case hasType(bitmap, dns.TypeNS):
		return proofUnsigned
	}
	return proofNoCut
}
