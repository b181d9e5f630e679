package dnssec

import "github.com/miekg/dns"

// State is an answer's validation state (RFC 4033 §5). Its String is the
// metrics label.
type State uint8

// The states, ordered so that combining two takes the worse: a chain with
// one bogus link is bogus, one with an insecure link is insecure.
const (
	Secure        State = iota // every RRset chains to a trust anchor
	Insecure                   // provably unsigned (or under a negative trust anchor)
	Indeterminate              // not judged: no trust anchor covers the name, or the reply is an error
	Bogus                      // should be signed, and the signatures or proofs fail
)

var stateNames = [...]string{"secure", "insecure", "indeterminate", "bogus"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown"
}

// States lists every state, for metrics that pre-create their series.
var States = []State{Secure, Insecure, Indeterminate, Bogus}

// Verdict is the outcome of validating one answer.
type Verdict struct {
	State State
	// EDE is the Extended DNS Error info code (RFC 8914) that goes with the
	// state, or NoEDE. Bogus answers always carry one; an insecure answer
	// carries one when it is insecure because of an unsupported algorithm.
	EDE uint16
	// Reason is a short human-readable why, for the query log.
	Reason string
}

// NoEDE marks a Verdict without an Extended DNS Error.
const NoEDE = 0xFFFF

func secure() Verdict { return Verdict{State: Secure, EDE: NoEDE} }

func insecure(reason string) Verdict {
	return Verdict{State: Insecure, EDE: NoEDE, Reason: reason}
}

func bogus(ede uint16, reason string) Verdict {
	return Verdict{State: Bogus, EDE: ede, Reason: reason}
}

// worse returns the worse of two verdicts, keeping the first on a tie so
// the earliest reason is the one reported.
func worse(a, b Verdict) Verdict {
	if b.State > a.State {
		return b
	}
	if a.EDE == NoEDE && b.State == a.State && b.EDE != NoEDE {
		a.EDE = b.EDE
	}
	return a
}

// The Extended DNS Error codes the validator reports, named as in RFC 8914.
const (
	edeUnsupportedDNSKEYAlg = dns.ExtendedErrorCodeUnsupportedDNSKEYAlgorithm // 1
	edeUnsupportedDSDigest  = dns.ExtendedErrorCodeUnsupportedDSDigestType    // 2
	edeBogus                = dns.ExtendedErrorCodeDNSBogus                   // 6
	edeSignatureExpired     = dns.ExtendedErrorCodeSignatureExpired           // 7
	edeSignatureNotYetValid = dns.ExtendedErrorCodeSignatureNotYetValid       // 8
	edeDNSKEYMissing        = dns.ExtendedErrorCodeDNSKEYMissing              // 9
	edeRRSIGsMissing        = dns.ExtendedErrorCodeRRSIGsMissing              // 10
	edeNoZoneKeyBitSet      = dns.ExtendedErrorCodeNoZoneKeyBitSet            // 11
	edeNSECMissing          = dns.ExtendedErrorCodeNSECMissing                // 12
	edeNoReachableAuthority = dns.ExtendedErrorCodeNoReachableAuthority       // 22
	edeUnsupportedNSEC3Iter = dns.ExtendedErrorCodeUnsupportedNSEC3IterValue  // 27
)
