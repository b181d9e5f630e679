package dnssec

import (
	"fmt"
	"time"

	"github.com/miekg/dns"
)

// cutKind says what the DS lookup for a name found.
type cutKind uint8

const (
	failedCut   cutKind = iota // the lookup failed: see the verdict
	signedCut                  // a validated DS set: name is a signed zone's apex
	unsignedCut                // provably no DS: name is, or lies below, an unsigned zone
	noCut                      // name is inside zone, a signed zone, and is no delegation
)

// cut is the outcome of asking for a name's DS set.
type cut struct {
	kind cutKind
	v    Verdict   // Insecure for unsignedCut, the failure for failedCut
	ds   []*dns.DS // signedCut
	zone string    // noCut: the zone the name lies in
	ttl  time.Duration
}

// cut looks up name's DS set and judges it with the parent's keys. The
// upstream answers a DS query from the zone above the cut when name is a
// zone apex, else from the zone that holds name: either way the signer of
// the answer (or its SOA) names a proper ancestor whose proof says whether
// a signed delegation, an unsigned one, or none is at name.
func (r *run) cut(name string) *cut {
	if c, ok := r.seenCuts[name]; ok {
		return c
	}
	if c, ok := r.v.cutCache.get(name, r.now); ok {
		return c
	}
	if r.depth > maxChainDepth {
		return &cut{v: bogus(edeBogus, "chain of trust too long at "+name)}
	}
	c := r.v.cutFlight.do(name, func() *cut {
		r.depth++
		defer func() { r.depth-- }()
		c := r.lookupCut(name)
		if c.kind == failedCut {
			c.ttl = min(c.ttl, bogusTTL)
		}
		r.v.cutCache.put(name, c, min(c.ttl, maxKeyTTL), r.now)
		return c
	})
	r.seenCuts[name] = c
	return c
}

func (r *run) lookupCut(name string) *cut {
	if name == "." {
		return &cut{v: bogus(edeDNSKEYMissing, "the root is not a trust anchor")}
	}
	reply, err := r.query(name, dns.TypeDS)
	if err != nil {
		return &cut{v: unreachable(err)}
	}
	answer := rrsets(reply.Answer)
	for _, s := range answer {
		if s.name != name || (s.rtype != dns.TypeDS && s.rtype != dns.TypeCNAME) {
			continue
		}
		if len(s.sigs) == 0 {
			return r.unsignedAt(name, s)
		}
		v, ck := r.verify(s, true)
		switch {
		case v.State == Bogus:
			return &cut{v: v, ttl: bogusTTL}
		case v.State != Secure:
			return &cut{kind: unsignedCut, v: v, ttl: ck.ttl}
		case s.rtype == dns.TypeCNAME:
			// A CNAME owner is no zone apex: name lies in the signer's zone.
			return &cut{kind: noCut, zone: s.sigs[0].SignerName, ttl: ck.ttl}
		}
		c := &cut{kind: signedCut, ttl: ck.ttl}
		for _, rr := range s.rrs {
			c.ds = append(c.ds, rr.(*dns.DS))
		}
		return c
	}
	return r.noDS(name, reply)
}

// unsignedAt judges an unsigned DS set or CNAME at name: name is then no
// signed zone's apex, so it is as signed as the zone above it. Asking about
// the parent (never name itself) keeps every lookup strictly shorter.
func (r *run) unsignedAt(name string, s *rrset) *cut {
	up := r.cut(parent(name))
	switch up.kind {
	case unsignedCut, failedCut:
		return up
	}
	return &cut{v: bogus(edeRRSIGsMissing, "no RRSIG for "+s.String()), ttl: bogusTTL}
}

// noDS judges a DS lookup that returned no DS: the authority section must
// prove it, from a proper ancestor of name.
func (r *run) noDS(name string, reply *dns.Msg) *cut {
	auth := rrsets(reply.Ns)
	zone := authorityZone(auth)
	if zone == "" || !isProperAncestor(zone, name) {
		return &cut{v: bogus(edeNSECMissing, fmt.Sprintf("no proof from a parent zone that %s has no DS", name)), ttl: bogusTTL}
	}
	v, ttl, proof := r.authority(auth, zone)
	switch v.State {
	case Bogus:
		return &cut{v: v, ttl: bogusTTL}
	case Insecure, Indeterminate:
		return &cut{kind: unsignedCut, v: v, ttl: ttl}
	}
	switch proof.denyDS(name) {
	case proofNoCut:
		return &cut{kind: noCut, zone: zone, ttl: ttl}
	case proofUnsigned:
		return &cut{kind: unsignedCut, v: insecure("unsigned delegation to " + name), ttl: ttl}
	case proofOptOut:
		return &cut{kind: unsignedCut, v: insecure("NSEC3 opt-out span covers " + name), ttl: ttl}
	case proofIterations:
		return &cut{kind: unsignedCut, v: Verdict{State: Insecure, EDE: edeUnsupportedNSEC3Iter, Reason: "NSEC3 iterations above the limit in " + zone}, ttl: ttl}
	}
	return &cut{v: bogus(edeNSECMissing, "no valid proof that "+name+" has no DS"), ttl: bogusTTL}
}

// authorityZone names the zone an authority section speaks for: its SOA's
// owner, else the signer of its first signed RRset.
func authorityZone(auth []*rrset) string {
	for _, s := range auth {
		if s.rtype == dns.TypeSOA {
			return s.name
		}
	}
	for _, s := range auth {
		if len(s.sigs) > 0 {
			return dns.CanonicalName(s.sigs[0].SignerName)
		}
	}
	return ""
}

// zoneState judges an RRset that came without RRSIGs: acceptable only if
// its owner lies in a provably unsigned zone.
func (r *run) zoneState(s *rrset) Verdict {
	if nta := r.v.negative.covers(s.name); nta != "" {
		return insecure("negative trust anchor " + nta)
	}
	if r.v.anchors.closest(s.name) == "" {
		return Verdict{State: Indeterminate, EDE: NoEDE, Reason: "no trust anchor covers " + s.name}
	}
	if _, ok := r.v.anchors[s.name]; ok {
		return bogus(edeRRSIGsMissing, "no RRSIG for "+s.String())
	}
	c := r.cut(s.name)
	switch c.kind {
	case unsignedCut, failedCut:
		return c.v
	}
	return bogus(edeRRSIGsMissing, "no RRSIG for "+s.String())
}
