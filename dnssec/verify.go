package dnssec

import (
	"time"

	"github.com/miekg/dns"
)

// verify judges one RRset of a reply: unsigned, it must lie in an unsigned
// zone; signed, its signer must be an ancestor of its owner (a proper one
// for a DS set, which the parent signs) whose validated keys verify it.
func (r *run) verify(s *rrset, parentSigned bool) (Verdict, checked) {
	if len(s.sigs) == 0 {
		return r.zoneState(s), checked{ttl: time.Duration(minTTL(s.rrs)) * time.Second}
	}
	if nta := r.v.negative.covers(s.name); nta != "" {
		return insecure("negative trust anchor " + nta), checked{ttl: maxKeyTTL}
	}
	signer := ""
	var sigs []*dns.RRSIG
	for _, sig := range s.sigs {
		sn := dns.CanonicalName(sig.SignerName)
		ok := isAncestor(sn, s.name)
		if parentSigned {
			ok = isProperAncestor(sn, s.name)
		}
		if !ok || (signer != "" && sn != signer) {
			continue
		}
		signer = sn
		sigs = append(sigs, sig)
	}
	if signer == "" {
		return bogus(edeBogus, "the RRSIGs of "+s.String()+" name a signer above no ancestor"), checked{}
	}
	zk := r.keys(signer)
	if zk.v.State != Secure {
		return zk.v, checked{ttl: bogusTTL}
	}
	one := *s
	one.sigs = sigs
	return r.v.verifySigs(&one, zk.keys, r.now)
}

// authority verifies the SOA, NSEC and NSEC3 sets of an authority section
// that speaks for zone, and returns the validated denial records. Other
// sets (NS in a referral or beside an answer) carry no proof and are not
// judged.
func (r *run) authority(auth []*rrset, zone string) (Verdict, time.Duration, *proof) {
	v := secure()
	ttl := maxKeyTTL
	p := &proof{zone: zone}
	for _, s := range auth {
		switch s.rtype {
		case dns.TypeSOA, dns.TypeNSEC, dns.TypeNSEC3:
		default:
			continue
		}
		sv, ck := r.verify(s, false)
		v = worse(v, sv)
		ttl = min(ttl, ck.ttl)
		if sv.State != Secure {
			continue
		}
		for _, rr := range s.rrs {
			switch x := rr.(type) {
			case *dns.NSEC:
				p.nsec = append(p.nsec, x)
			case *dns.NSEC3:
				p.nsec3 = append(p.nsec3, x)
			}
		}
	}
	return v, ttl, p
}
