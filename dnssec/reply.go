package dnssec

import (
	"github.com/miekg/dns"
)

// reply judges a whole reply: every RRset of the answer section, the
// wildcard proofs its expansions need, and, when it answers with no record
// of the type asked for, the denial in its authority section.
func (r *run) reply(m *dns.Msg, qname string, qtype uint16) Verdict {
	v := secure()
	answer := rrsets(m.Answer)
	type expansion struct{ owner, encloser string }
	var wildcards []expansion
	for _, s := range answer {
		if s.rtype == dns.TypeCNAME && len(s.sigs) == 0 && synthesized(s, answer) {
			continue // RFC 6672 §5.3.1: a CNAME made from a DNAME is unsigned
		}
		sv, ck := r.verify(s, s.rtype == dns.TypeDS)
		v = worse(v, sv)
		if sv.State == Secure && ck.labels < dns.CountLabel(s.name) {
			wildcards = append(wildcards, expansion{s.name, suffix(s.name, ck.labels)})
		}
	}
	if v.State == Bogus {
		return v
	}
	final, answered := chase(answer, qname, qtype)
	auth := rrsets(m.Ns)
	zone := authorityZone(auth)
	// A chain that stops at a CNAME whose target the upstream did not look
	// up (an authoritative server leaves other zones' names to the client)
	// denies nothing: its records stand on their own.
	negative := !answered && (final == qname || zone != "")
	if !negative && len(wildcards) == 0 {
		return v
	}
	if zone == "" || !isAncestor(zone, final) {
		if negative {
			// No proof at all: fine only if final lies in an unsigned zone.
			sv := r.zoneState(&rrset{name: final, rtype: qtype})
			if sv.State == Bogus {
				sv = bogus(edeNSECMissing, "no NSEC or NSEC3 proof for "+final)
			}
			return worse(v, sv)
		}
		return worse(v, bogus(edeNSECMissing, "no proof for the wildcard expansion of "+wildcards[0].owner))
	}
	av, _, p := r.authority(auth, zone)
	if av.State == Bogus {
		return worse(v, av)
	}
	if av.State != Secure {
		return worse(v, av)
	}
	for _, w := range wildcards {
		if res := p.wildcard(w.owner, w.encloser); res != proofOK {
			return worse(v, denialVerdict(res, "no proof that "+w.owner+" does not exist beside its wildcard"))
		}
	}
	if !negative {
		return v
	}
	var res proofResult
	if m.Rcode == dns.RcodeNameError {
		res = p.nxdomain(final)
	} else {
		res = p.nodata(final, qtype)
	}
	if res == proofOK {
		return v
	}
	return worse(v, denialVerdict(res, "no valid denial for "+final+" "+dns.TypeToString[qtype]))
}

// denialVerdict turns a proof that is not plainly OK into a verdict.
func denialVerdict(res proofResult, why string) Verdict {
	switch res {
	case proofOptOut:
		return insecure("NSEC3 opt-out span: " + why)
	case proofIterations:
		return Verdict{State: Insecure, EDE: edeUnsupportedNSEC3Iter, Reason: "NSEC3 iterations above the limit"}
	}
	return bogus(edeNSECMissing, why)
}

// chase follows the answer's CNAME chain from qname and reports the name
// it ends at and whether that name has records of qtype there.
func chase(answer []*rrset, qname string, qtype uint16) (final string, answered bool) {
	name := qname
	for range maxChainDepth {
		var cname string
		for _, s := range answer {
			if s.name != name {
				continue
			}
			if s.rtype == qtype || qtype == dns.TypeANY {
				return name, true
			}
			if s.rtype == dns.TypeCNAME {
				cname = dns.CanonicalName(s.rrs[0].(*dns.CNAME).Target)
			}
		}
		if cname == "" || qtype == dns.TypeCNAME {
			return name, false
		}
		name = cname
	}
	return name, false
}

// synthesized reports an unsigned CNAME that a DNAME in the same answer
// accounts for: its owner lies below the DNAME's, and its target is the
// owner rewritten by it.
func synthesized(c *rrset, answer []*rrset) bool {
	for _, s := range answer {
		if s.rtype != dns.TypeDNAME || len(s.sigs) == 0 || !isProperAncestor(s.name, c.name) {
			continue
		}
		d := s.rrs[0].(*dns.DNAME)
		prefix := c.name[:len(c.name)-len(s.name)]
		if dns.CanonicalName(c.rrs[0].(*dns.CNAME).Target) == dns.CanonicalName(prefix+d.Target) {
			return true
		}
	}
	return false
}
