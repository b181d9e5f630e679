package resolver

import (
	"context"
	"fmt"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/query"
)

// Exchanger sends a query upstream and says which upstream answered. The
// upstream package provides it; tests fake it.
type Exchanger interface {
	Exchange(ctx context.Context, q *dns.Msg) (reply *dns.Msg, upstream string, err error)
}

// Forward is the end of the chain: it sends what no link answered upstream.
type Forward struct {
	upstreams Exchanger
}

// NewForward returns the forwarding handler.
func NewForward(upstreams Exchanger) *Forward { return &Forward{upstreams: upstreams} }

// Resolve forwards req. Failure is an error, which the edge answers with
// SERVFAIL (or the cache with a stale answer).
func (f *Forward) Resolve(ctx context.Context, req *query.Request) (*query.Response, error) {
	reply, upstream, err := f.upstreams.Exchange(ctx, req.Msg)
	if err != nil {
		return nil, fmt.Errorf("forward %s: %w", req.Name, err)
	}
	return &query.Response{Msg: reply, Result: query.Forwarded, Upstream: upstream}, nil
}
