package upstream

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
)

// ErrOverloaded is returned by Exchange, at once, when MaxConcurrent queries
// are already in flight upstream.
var ErrOverloaded = errors.New("upstream: too many concurrent exchanges")

// ErrAllDown is returned by Exchange when every upstream of the group is
// marked down and FailFast is set.
var ErrAllDown = errors.New("upstream: all upstreams are down")

// errBadReply marks a reply that could not be parsed or did not match.
var errBadReply = errors.New("bad reply")

// errRefused marks an upstream answering REFUSED, which is counted as a
// failure of that upstream (it will not serve us), unlike SERVFAIL.
var errRefused = errors.New("refused")

// Reasons, the reason label of cleandns_upstream_errors_total.
const (
	reasonTimeout  = "timeout"
	reasonNetwork  = "network"
	reasonTLS      = "tls"
	reasonRefused  = "refused"
	reasonBadReply = "bad_reply"
	reasonServfail = "servfail"
	reasonHTTP     = "http" // DoH: a status other than 200 or a wrong content type
)

// reasons lists every reason label, for exporting each at 0.
var reasons = []string{reasonTimeout, reasonNetwork, reasonTLS, reasonRefused, reasonBadReply, reasonServfail, reasonHTTP}

// errHTTP marks a DoH response that was not a DNS message.
var errHTTP = errors.New("unexpected HTTP response")

// reason classifies an exchange error for metrics.
func reason(err error) string {
	var netErr net.Error
	var certErr *tls.CertificateVerificationError
	var alert tls.AlertError
	var recErr tls.RecordHeaderError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case errors.Is(err, errRefused):
		return reasonRefused
	case errors.Is(err, errBadReply):
		return reasonBadReply
	case errors.Is(err, errHTTP):
		return reasonHTTP
	case errors.As(err, &certErr), errors.As(err, &alert), errors.As(err, &recErr),
		errors.As(err, &unknownAuth), errors.As(err, &hostErr):
		return reasonTLS
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled),
		errors.As(err, &netErr) && netErr.Timeout():
		return reasonTimeout
	default:
		return reasonNetwork
	}
}
