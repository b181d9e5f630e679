package dnssec

import (
	"fmt"
	"time"

	"github.com/miekg/dns"
)

// rrset is one RRset of a section with the RRSIGs that cover it.
type rrset struct {
	name  string // canonical owner
	rtype uint16
	rrs   []dns.RR
	sigs  []*dns.RRSIG
}

// rrsets groups a section's records into RRsets, attaching each RRSIG to
// the set it covers. Order follows the section's first appearance, so a
// CNAME chain keeps its order.
func rrsets(section []dns.RR) []*rrset {
	var out []*rrset
	find := func(name string, t uint16) *rrset {
		for _, s := range out {
			if s.name == name && s.rtype == t {
				return s
			}
		}
		s := &rrset{name: name, rtype: t}
		out = append(out, s)
		return s
	}
	for _, rr := range section {
		h := rr.Header()
		if h.Rrtype == dns.TypeOPT || h.Class != dns.ClassINET {
			continue
		}
		name := dns.CanonicalName(h.Name)
		if sig, ok := rr.(*dns.RRSIG); ok {
			s := find(name, sig.TypeCovered)
			s.sigs = append(s.sigs, sig)
			continue
		}
		s := find(name, h.Rrtype)
		s.rrs = append(s.rrs, rr)
	}
	// RRSIGs for a type the section does not hold cover nothing here.
	kept := out[:0]
	for _, s := range out {
		if len(s.rrs) > 0 {
			kept = append(kept, s)
		}
	}
	return kept
}

func (s *rrset) String() string {
	return fmt.Sprintf("%s/%s", s.name, dns.TypeToString[s.rtype])
}

// checked is a verified RRset: how long the verdict holds, and the RRSIG
// label count that verified it (fewer labels than the owner means a
// wildcard expansion, RFC 4035 §5.3.4).
type checked struct {
	ttl    time.Duration
	labels int
}

// verifySigs checks s against keys: at least one RRSIG from a supported
// algorithm must verify and be inside its validity period. The verdict's
// EDE names the most telling failure.
func (v *Validator) verifySigs(s *rrset, keys []*dns.DNSKEY, now time.Time) (Verdict, checked) {
	fail := bogus(edeRRSIGsMissing, "no RRSIG with a supported algorithm for "+s.String())
	rank := 0 // how telling fail is: a valid but expired signature beats a bad one
	note := func(r int, ede uint16, why string) {
		if r > rank {
			rank, fail = r, bogus(ede, why)
		}
	}
	for _, sig := range s.sigs {
		if !supportedAlgorithm(sig.Algorithm) {
			continue
		}
		note(1, edeDNSKEYMissing, fmt.Sprintf("no DNSKEY %d for the RRSIG of %s", sig.KeyTag, s))
		for _, k := range keys {
			if k.Algorithm != sig.Algorithm || k.KeyTag() != sig.KeyTag {
				continue
			}
			if err := sig.Verify(k, s.rrs); err != nil {
				note(2, edeBogus, fmt.Sprintf("RRSIG of %s by key %d: %v", s, sig.KeyTag, err))
				continue
			}
			if !sig.ValidityPeriod(now) {
				if now.Unix() < int64(sig.Inception) {
					note(3, edeSignatureNotYetValid, fmt.Sprintf("RRSIG of %s is valid from %s", s, dns.TimeToString(sig.Inception)))
				} else {
					note(3, edeSignatureExpired, fmt.Sprintf("RRSIG of %s expired at %s", s, dns.TimeToString(sig.Expiration)))
				}
				continue
			}
			return secure(), checked{ttl: sigTTL(s, sig, now), labels: int(sig.Labels)}
		}
	}
	return fail, checked{}
}

// sigTTL is how long a verified RRset may be trusted: its TTL, capped by
// the signature's original TTL and its expiration.
func sigTTL(s *rrset, sig *dns.RRSIG, now time.Time) time.Duration {
	ttl := min(minTTL(s.rrs), sig.OrigTtl)
	d := time.Duration(ttl) * time.Second
	if left := time.Unix(int64(sig.Expiration), 0).Sub(now); left < d {
		d = left
	}
	return d
}

func minTTL(rrs []dns.RR) uint32 {
	t := ^uint32(0)
	for _, rr := range rrs {
		t = min(t, rr.Header().Ttl)
	}
	return t
}

// supportedAlgorithm reports the RFC 8624 algorithms this validator
// checks: the MUSTs and RECOMMENDEDs that miekg/dns implements. ED448 is
// not among them (miekg/dns cannot verify it), nor is RSASHA1, whose SHA-1
// signatures are being retired (RFC 8624 still lists it). Zones signed only with other
// algorithms are treated as unsigned (RFC 4035 §5.2).
func supportedAlgorithm(alg uint8) bool {
	switch alg {
	case dns.RSASHA256, dns.RSASHA512, dns.ECDSAP256SHA256, dns.ECDSAP384SHA384, dns.ED25519:
		return true
	}
	return false
}

// supportedDigest reports the DS digest types this validator checks
// (RFC 8624 §3.3: SHA-1 and SHA-256 MUST, SHA-384 MAY; GOST is not).
func supportedDigest(t uint8) bool {
	switch t {
	case dns.SHA1, dns.SHA256, dns.SHA384:
		return true
	}
	return false
}
