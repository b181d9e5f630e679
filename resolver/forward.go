package resolver

import (
	"context"
	"fmt"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/query"
)

// Exchanger sends a query upstream and says which upstream answered. The
// upstream package provides it; tests fake it.
type Exchanger interface {
	Exchange(ctx context.Context, q *dns.Msg) (reply *dns.Msg, upstream string, err error)
}

// DefaultUpstreamSlots is the number of upstream exchanges Forward shares
// fairly when the Exchanger does not say its own limit (upstream's
// max_concurrent default).
const DefaultUpstreamSlots = 1000

// Forward is the end of the chain: it sends what no link answered upstream,
// sharing the upstream slots fairly between clients and zones.
type Forward struct {
	upstreams Exchanger
	share     *fairShare
}

// NewForward returns the forwarding handler. An Exchanger with a
// MaxConcurrent method has nine tenths of its slots shared, the rest left
// for exchanges jostled out but not yet returned and for the Exchanger's
// other callers (probes, refreshes); others get DefaultUpstreamSlots.
func NewForward(upstreams Exchanger) *Forward {
	slots := DefaultUpstreamSlots
	if l, ok := upstreams.(interface{ MaxConcurrent() int }); ok {
		slots = max(1, l.MaxConcurrent()-l.MaxConcurrent()/10)
	}
	return &Forward{upstreams: upstreams, share: newFairShare(slots, DefaultJostle, time.Now)}
}

// Resolve forwards req. Failure is an error, which the edge answers with
// SERVFAIL (or the cache with a stale answer).
func (f *Forward) Resolve(ctx context.Context, req *query.Request) (*query.Response, error) {
	s, err := f.share.acquire(ctx, req.Client, req.Name)
	if err != nil {
		return nil, err
	}
	defer f.share.release(s)
	reply, upstream, err := f.upstreams.Exchange(s.ctx(), req.Msg)
	if err != nil {
		if s.Jostled() {
			return nil, errJostled
		}
		return nil, fmt.Errorf("forward %s: %w", req.Name, upstreamFailure(err))
	}
	return &query.Response{Msg: reply, Result: query.Forwarded, Upstream: upstream}, nil
}
