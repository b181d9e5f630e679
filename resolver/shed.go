package resolver

import (
	"errors"
	"net"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/query"
)

// edeError is a link's refusal to wait or to try: the edge answers SERVFAIL
// with its Extended DNS Error (RFC 8914), so a query shed under pressure or
// answered from a cached failure is never met with silence.
type edeError struct {
	code   uint16
	text   string // the EDE's extra text
	reason string // Response.Reason: short, for the query log
	cause  error  // what failed, when it is an upstream's failure
}

func (e *edeError) Error() string {
	if e.cause != nil {
		return e.reason + ": " + e.cause.Error()
	}
	return e.reason + ": " + e.text
}

func (e *edeError) Unwrap() error { return e.cause }

// upstreamFailure says why no upstream answered, as RFC 8914 has it: 23
// Network Error when the network refused or broke the exchange, else 22 No
// Reachable Authority (every upstream timed out or is marked down).
func upstreamFailure(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && !op.Timeout() {
		return &edeError{code: dns.ExtendedErrorCodeNetworkError, reason: "upstream_failed", cause: err,
			text: "the network to the upstream resolvers failed"}
	}
	return &edeError{code: dns.ExtendedErrorCodeNoReachableAuthority, reason: "upstream_failed", cause: err,
		text: "no upstream resolver answered"}
}

// Sheds and cached failures.
var (
	errClientWaitLimit = &edeError{code: dns.ExtendedErrorCodeOther, reason: "shed_client",
		text: "too many queries from this client are waiting for upstreams"}
	errFollowerLimit = &edeError{code: dns.ExtendedErrorCodeOther, reason: "shed_followers",
		text: "too many queries are waiting for this name"}
	errUpstreamFull = &edeError{code: dns.ExtendedErrorCodeOther, reason: "shed_full",
		text: "every upstream slot is taken by queries no older than the jostle timeout"}
	errJostled = &edeError{code: dns.ExtendedErrorCodeOther, reason: "shed_jostled",
		text: "gave its upstream slot to a query of a less busy client or zone"}
	errCachedFailure = &edeError{code: dns.ExtendedErrorCodeCachedError, reason: "cached_failure",
		text: "resolving this name failed moments ago (RFC 9520)"}
)

// withEDE sets resp's EDE and reason when err is an edeError.
func withEDE(resp *query.Response, err error) {
	var e *edeError
	if errors.As(err, &e) {
		resp.Reason = e.reason
		resp.EDE = &dns.EDNS0_EDE{InfoCode: e.code, ExtraText: e.text}
	}
}
