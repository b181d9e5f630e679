package resolver

import (
	"context"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/policy"
	"github.com/cleandns/cleandns/query"
)

// RateLimitLink limits each client's UDP queries. UDP only: a spoofed
// source can flood over UDP and aim our answers at a victim, but not over
// TCP, and a real client sent to TCP by a slip (TC=1) must get through.
// A device that names itself (a client ID, over DoH, DoT or DoQ) is
// limited by that name on every protocol, and refused when over: a stream
// client waits for an answer that silence would never give.
type RateLimitLink struct {
	limiter *policy.Limiter
}

var _ Link = (*RateLimitLink)(nil)

// NewRateLimitLink returns the rate-limit link for l.
func NewRateLimitLink(l *policy.Limiter) *RateLimitLink { return &RateLimitLink{limiter: l} }

// Resolve passes queries within the limit on; a limited one gets an empty
// TC=1 answer (a slip) or nothing.
func (l *RateLimitLink) Resolve(ctx context.Context, req *query.Request, next Handler) (*query.Response, error) {
	if req.ClientID != "" {
		if l.limiter.AllowID(req.Client, req.ClientID) == policy.Allow {
			return next.Resolve(ctx, req)
		}
		m := new(dns.Msg)
		m.SetRcode(req.Msg, dns.RcodeRefused)
		return &query.Response{Msg: m, Result: query.RateLimited, Reason: "ratelimit"}, nil
	}
	if req.Protocol != query.ProtoUDP {
		return next.Resolve(ctx, req)
	}
	switch l.limiter.Allow(req.Client) {
	case policy.Allow:
		return next.Resolve(ctx, req)
	case policy.Slip:
		m := new(dns.Msg)
		m.SetReply(req.Msg)
		m.Truncated = true
		return &query.Response{Msg: m, Result: query.RateLimited, Reason: "ratelimit"}, nil
	}
	// No message: the edge sends nothing, and counts it as ratelimited.
	return &query.Response{Result: query.RateLimited, Reason: "ratelimit"}, nil
}
