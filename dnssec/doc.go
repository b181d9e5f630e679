// Package dnssec validates DNS answers as a validating forwarder does
// (RFC 4033-4035, RFC 5155, RFC 6840): it builds the chain of trust from its
// trust anchors by asking the upstreams, through an injected exchange
// function, for the DS and DNSKEY records it needs, and judges each answer
// secure, insecure, bogus or indeterminate, with the Extended DNS Error
// (RFC 8914) that says why.
//
// It knows no server, no pipeline and no metrics package: the resolver hands
// it an upstream reply and reads back a Verdict. Signatures, key tags, DS
// digests and NSEC3 hashes are computed by github.com/miekg/dns.
package dnssec
