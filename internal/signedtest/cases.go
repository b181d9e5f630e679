package signedtest

import "github.com/miekg/dns"

// Case is one query against the test zones and the verdict a validating
// resolver must reach.
type Case struct {
	Name  string
	QName string
	QType uint16
	Rcode int    // dns.RcodeSuccess, dns.RcodeNameError or dns.RcodeServerFailure
	AD    bool   // the answer is secure
	EDE   int    // the Extended DNS Error code expected, or -1 for none
	Why   string // what the case checks
}

// Cases are the scenarios of issue #21, in the order docs/dnssec.md lists them.
var Cases = []Case{
	{"secure positive", "www.secure.tld.", dns.TypeA, dns.RcodeSuccess, true, -1, "ED25519 zone under an ECDSA TLD under an RSA root"},
	{"secure NXDOMAIN, NSEC", "nope.secure.tld.", dns.TypeA, dns.RcodeNameError, true, -1, "NSEC covers the name and the wildcard"},
	{"secure NODATA, NSEC", "www.secure.tld.", dns.TypeTXT, dns.RcodeSuccess, true, -1, "NSEC at the name without TXT"},
	{"secure NXDOMAIN, NSEC3", "nope.nsec3.tld.", dns.TypeA, dns.RcodeNameError, true, -1, "closest encloser, next closer and wildcard proofs"},
	{"secure positive, NSEC3", "www.nsec3.tld.", dns.TypeA, dns.RcodeSuccess, true, -1, "ECDSAP384SHA384"},
	{"NXDOMAIN in an NSEC3 opt-out span", "nope.optout.tld.", dns.TypeA, dns.RcodeNameError, false, -1, "opt-out may hide an unsigned delegation: insecure"},
	{"secure positive, NSEC3 opt-out zone", "www.optout.tld.", dns.TypeA, dns.RcodeSuccess, true, -1, "RSASHA512"},
	{"unsigned delegation in an opt-out span", "www.unsigned.optout.tld.", dns.TypeA, dns.RcodeSuccess, false, -1, "no DS, proven by the opt-out NSEC3"},
	{"wildcard expansion", "anything.wild.secure.tld.", dns.TypeA, dns.RcodeSuccess, true, -1, "RRSIG labels < owner labels, NSEC proves the name absent"},
	{"CNAME secure -> insecure", "to-insecure.secure.tld.", dns.TypeA, dns.RcodeSuccess, false, -1, "the chain ends in an unsigned zone"},
	{"CNAME insecure -> secure", "to-secure.insecure.tld.", dns.TypeA, dns.RcodeSuccess, false, -1, "the chain starts in an unsigned zone"},
	{"unsigned delegation", "www.insecure.tld.", dns.TypeA, dns.RcodeSuccess, false, -1, "NSEC in tld. shows NS without DS"},
	{"bad signature", "www.badsig.tld.", dns.TypeA, dns.RcodeServerFailure, false, int(dns.ExtendedErrorCodeDNSBogus), "one byte of the RRSIG flipped"},
	{"expired signatures", "www.expired.tld.", dns.TypeA, dns.RcodeServerFailure, false, int(dns.ExtendedErrorCodeSignatureExpired), "signed 20 to 10 days ago"},
	{"signatures not yet valid", "www.future.tld.", dns.TypeA, dns.RcodeServerFailure, false, int(dns.ExtendedErrorCodeSignatureNotYetValid), "signed from 10 days ahead"},
	{"missing DNSKEY", "www.nokey.tld.", dns.TypeA, dns.RcodeServerFailure, false, int(dns.ExtendedErrorCodeDNSKEYMissing), "the DS names a key the zone does not publish"},
	{"DS for an unsupported algorithm", "www.ed448.tld.", dns.TypeA, dns.RcodeSuccess, false, int(dns.ExtendedErrorCodeUnsupportedDNSKEYAlgorithm), "ED448: miekg/dns cannot verify it, so the zone counts as unsigned"},
	{"key rollover, two KSKs", "www.rollover.tld.", dns.TypeA, dns.RcodeSuccess, true, -1, "the DS matches the new KSK; both sign the key set"},
}
