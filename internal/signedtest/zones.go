package signedtest

import (
	"fmt"
	"time"
)

// zone describes one test zone: how BIND signs it and what its parent
// holds for it.
type zone struct {
	name    string   // "secure.tld." ("." for the root)
	records []string // zone-file lines beside the SOA and NS, relative to the origin
	alg     string   // dnssec-keygen algorithm; "" leaves the zone unsigned
	nsec3   string   // dnssec-signzone NSEC3 flags: "" for NSEC, "-3 -" or "-3 - -A"
	start   string   // dnssec-signzone -s ("" for the default, an hour ago)
	end     string   // dnssec-signzone -e
	// noDS leaves the delegation unsigned (no DS in the parent).
	noDS bool
	// orphanDS puts the DS of a key the zone does not publish in the
	// parent: its DNSKEY is missing.
	orphanDS bool
	// twoKSKs publishes a second KSK, signing the key set with both, with
	// the parent's DS for the new one only: a rollover in progress.
	twoKSKs bool
	// corrupt names an RRset ("www A") whose signature is damaged after
	// signing.
	corrupt string
}

// ip is where every test name points: TEST-NET-1 (RFC 5737).
const ip = "192.0.2.1"

func zones(now time.Time) []zone {
	stamp := func(d time.Duration) string { return now.Add(d).UTC().Format("20060102150405") }
	day := 24 * time.Hour
	return []zone{
		{name: "secure.tld.", alg: "ED25519", records: []string{
			"www A " + ip,
			"*.wild A " + ip,
			"to-insecure CNAME www.insecure.tld.",
		}},
		{name: "nsec3.tld.", alg: "ECDSAP384SHA384", nsec3: "-3 -", records: []string{"www A " + ip}},
		{name: "optout.tld.", alg: "RSASHA512", nsec3: "-3 - -A", records: []string{
			"www A " + ip,
		}},
		{name: "unsigned.optout.tld.", records: []string{"www A " + ip}},
		{name: "insecure.tld.", noDS: true, records: []string{
			"www A " + ip,
			"to-secure CNAME www.secure.tld.",
		}},
		{name: "badsig.tld.", alg: "ECDSAP256SHA256", corrupt: "www A", records: []string{"www A " + ip}},
		{name: "expired.tld.", alg: "ECDSAP256SHA256", start: stamp(-20 * day), end: stamp(-10 * day), records: []string{"www A " + ip}},
		{name: "future.tld.", alg: "ECDSAP256SHA256", start: stamp(10 * day), end: stamp(20 * day), records: []string{"www A " + ip}},
		{name: "nokey.tld.", alg: "ECDSAP256SHA256", orphanDS: true, records: []string{"www A " + ip}},
		{name: "ed448.tld.", alg: "ED448", records: []string{"www A " + ip}},
		{name: "rollover.tld.", alg: "ECDSAP256SHA256", twoKSKs: true, records: []string{"www A " + ip}},
		{name: "tld.", alg: "ECDSAP256SHA256"},
		{name: ".", alg: "RSASHA256"},
	}
}

// soa returns a zone file's head: the SOA, the one name server (this
// named, on loopback) and its address.
func soa(name string, ttl int) string {
	ns := "ns." + name
	if name == "." {
		ns = "ns.test."
	}
	return fmt.Sprintf(`$TTL %d
@ IN SOA %s hostmaster.test. 1 3600 600 86400 300
@ IN NS %s
%s IN A 127.0.0.1
`, ttl, ns, ns, ns)
}
