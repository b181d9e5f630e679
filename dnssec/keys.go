package dnssec

import (
	"fmt"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// zoneKeys is a zone's key set as validated: Secure with the zone keys
// that may verify its RRSIGs, or the verdict that explains why there are
// none (Insecure for a provably unsigned zone).
type zoneKeys struct {
	v    Verdict
	keys []*dns.DNSKEY
}

// keys returns zone's validated keys, from the cache or by walking up the
// chain of trust: zone's DS set, validated with its parent's keys, then
// zone's DNSKEY set, which must match the DS set and be signed by a key it
// matched.
func (r *run) keys(zone string) *zoneKeys {
	// Negative trust anchors come first and are never cached, so adding or
	// removing one takes effect at once.
	if nta := r.v.negative.covers(zone); nta != "" {
		return &zoneKeys{v: insecure("negative trust anchor " + nta)}
	}
	if zk, ok := r.seenKeys[zone]; ok {
		return zk
	}
	if zk, ok := r.v.keyCache.get(zone, r.now); ok {
		return zk
	}
	if r.depth > maxChainDepth {
		return &zoneKeys{v: bogus(edeBogus, "chain of trust too long at "+zone)}
	}
	zk := r.v.keyFlight.do(zone, func() *zoneKeys {
		r.depth++
		defer func() { r.depth-- }()
		zk, ttl := r.fetchKeys(zone)
		if zk.v.State == Bogus {
			ttl = min(ttl, bogusTTL)
		}
		r.v.keyCache.put(zone, zk, min(ttl, maxKeyTTL), r.now)
		return zk
	})
	r.seenKeys[zone] = zk
	return zk
}

func (r *run) fetchKeys(zone string) (*zoneKeys, time.Duration) {
	if a, ok := r.v.anchors[zone]; ok {
		return r.matchKeys(zone, a.ds, a.keys)
	}
	if r.v.anchors.closest(zone) == "" {
		return &zoneKeys{v: Verdict{State: Indeterminate, EDE: NoEDE, Reason: "no trust anchor covers " + zone}}, maxKeyTTL
	}
	c := r.cut(zone)
	switch c.kind {
	case signedCut:
		zk, ttl := r.matchKeys(zone, c.ds, nil)
		return zk, min(ttl, c.ttl)
	case noCut:
		return &zoneKeys{v: bogus(edeBogus, fmt.Sprintf("%s signs records but %s says it is no zone", zone, c.zone))}, c.ttl
	}
	return &zoneKeys{v: c.v}, c.ttl
}

// matchKeys fetches zone's DNSKEY set and accepts it when a key matching
// one of ds (by digest) or one of anchored (by value) signs it.
func (r *run) matchKeys(zone string, ds []*dns.DS, anchored []*dns.DNSKEY) (*zoneKeys, time.Duration) {
	usable := 0
	digestsOnly := false
	for _, d := range ds {
		switch {
		case !supportedAlgorithm(d.Algorithm):
		case !supportedDigest(d.DigestType):
			digestsOnly = true
		default:
			usable++
		}
	}
	for _, k := range anchored {
		if supportedAlgorithm(k.Algorithm) {
			usable++
		}
	}
	if usable == 0 {
		// RFC 4035 §5.2: a DS set with no algorithm or digest we know
		// makes the zone unsigned to us, not bogus.
		if digestsOnly {
			return &zoneKeys{v: Verdict{State: Insecure, EDE: edeUnsupportedDSDigest, Reason: "no supported DS digest type for " + zone}}, dsTTL(ds)
		}
		return &zoneKeys{v: Verdict{State: Insecure, EDE: edeUnsupportedDNSKEYAlg, Reason: "no supported DNSKEY algorithm for " + zone}}, dsTTL(ds)
	}
	reply, err := r.query(zone, dns.TypeDNSKEY)
	if err != nil {
		return &zoneKeys{v: unreachable(err)}, 0
	}
	var set *rrset
	for _, s := range rrsets(reply.Answer) {
		if s.name == zone && s.rtype == dns.TypeDNSKEY {
			set = s
		}
	}
	if set == nil {
		return &zoneKeys{v: bogus(edeDNSKEYMissing, "no DNSKEY set for "+zone)}, bogusTTL
	}
	trusted, noZoneBit := trustedKeys(set, ds, anchored)
	if len(trusted) == 0 {
		if noZoneBit {
			return &zoneKeys{v: bogus(edeNoZoneKeyBitSet, "the DNSKEY matching the DS of "+zone+" has no zone-key bit")}, bogusTTL
		}
		return &zoneKeys{v: bogus(edeDNSKEYMissing, "no DNSKEY of "+zone+" matches its DS set")}, bogusTTL
	}
	v, ck := r.v.verifySigs(set, trusted, r.now)
	if v.State != Secure {
		v.Reason = "DNSKEY set of " + zone + ": " + v.Reason
		return &zoneKeys{v: v}, bogusTTL
	}
	zk := &zoneKeys{v: secure()}
	for _, rr := range set.rrs {
		if k := rr.(*dns.DNSKEY); k.Flags&dns.ZONE != 0 && k.Protocol == 3 && supportedAlgorithm(k.Algorithm) {
			zk.keys = append(zk.keys, k)
		}
	}
	return zk, ck.ttl
}

// trustedKeys returns the keys of set that a DS record or an anchored key
// vouches for. noZoneBit reports a match whose key lacks the zone-key bit,
// which may not verify anything (RFC 4034 §2.1.1).
func trustedKeys(set *rrset, ds []*dns.DS, anchored []*dns.DNSKEY) (trusted []*dns.DNSKEY, noZoneBit bool) {
	for _, rr := range set.rrs {
		k := rr.(*dns.DNSKEY)
		if !supportedAlgorithm(k.Algorithm) || !vouched(k, ds, anchored) {
			continue
		}
		if k.Flags&dns.ZONE == 0 || k.Protocol != 3 {
			noZoneBit = true
			continue
		}
		trusted = append(trusted, k)
	}
	return trusted, noZoneBit
}

func vouched(k *dns.DNSKEY, ds []*dns.DS, anchored []*dns.DNSKEY) bool {
	tag := k.KeyTag()
	for _, d := range ds {
		if d.KeyTag != tag || d.Algorithm != k.Algorithm || !supportedDigest(d.DigestType) {
			continue
		}
		if got := k.ToDS(d.DigestType); got != nil && strings.EqualFold(got.Digest, d.Digest) {
			return true
		}
	}
	for _, a := range anchored {
		if a.Algorithm == k.Algorithm && a.Flags == k.Flags && a.PublicKey == k.PublicKey {
			return true
		}
	}
	return false
}

func dsTTL(ds []*dns.DS) time.Duration {
	if len(ds) == 0 {
		return maxKeyTTL
	}
	t := ^uint32(0)
	for _, d := range ds {
		t = min(t, d.Hdr.Ttl)
	}
	return time.Duration(t) * time.Second
}
