package resolver

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/zap"

	"github.com/cleandns/cleandns/cache"
	"github.com/cleandns/cleandns/metrics"
	"github.com/cleandns/cleandns/query"
)

// backgroundTimeout bounds a refresh that outlives its client's request. It
// is longer than any upstream deadline: it only stops a next that never returns.
const backgroundTimeout = 10 * time.Second

// CacheLink answers repeated queries from the cache and stores what the
// rest of the chain resolved upstream. It sits after blocking, so blocked
// answers never reach it, and before in-flight dedup and the forwarder.
//
// When an expired answer is still within cache.stale_max_age it serves it
// (RFC 8767) if upstream fails or is slower than cache.client_timeout, while
// the fetch carries on in the background and refreshes the entry. Popular
// entries near expiry are refreshed in the background before clients miss.
type CacheLink struct {
	cache   *cache.Cache
	cfg     cache.Config
	metrics *metrics.Metrics
	log     *zap.Logger
	wg      sync.WaitGroup // background fetches
}

var _ Link = (*CacheLink)(nil)

// NewCacheLink returns the link over c. Background refresh failures are
// logged at debug level to log.
func NewCacheLink(c *cache.Cache, m *metrics.Metrics, log *zap.Logger) *CacheLink {
	return &CacheLink{cache: c, cfg: c.Config(), metrics: m, log: log}
}

// Wait blocks until background fetches have finished, for shutdown and tests.
func (l *CacheLink) Wait() { l.wg.Wait() }

// Resolve implements Link.
func (l *CacheLink) Resolve(ctx context.Context, req *query.Request, next Handler) (*query.Response, error) {
	if len(req.Msg.Question) != 1 {
		return next.Resolve(ctx, req)
	}
	q := req.Msg.Question[0]
	k := cache.NewKey(req.Name, q.Qtype, q.Qclass, req.DO(), req.Msg.CheckingDisabled)
	now := l.cache.Now()
	e, st := l.cache.Get(k, now)
	switch st {
	case cache.Fresh:
		if l.cache.Prefetch(e, now) {
			l.metrics.CachePrefetches.Inc()
			l.refresh(ctx, req, next, k, e)
		}
		if resp, err := answer(e, req, now, false); err == nil {
			return resp, nil
		}
	case cache.Stale:
		return l.staleOrFresh(ctx, req, next, k, e, now)
	}
	return Then(ctx, req, next, l)
}

// Recheck answers req from a fresh entry, without counting a hit: for a
// query resumed after its inline run missed (see inlineStop).
func (l *CacheLink) Recheck(req *query.Request) (*query.Response, bool) {
	if len(req.Msg.Question) != 1 {
		return nil, false
	}
	q := req.Msg.Question[0]
	now := l.cache.Now()
	e, st := l.cache.Peek(cache.NewKey(req.Name, q.Qtype, q.Qclass, req.DO(), req.Msg.CheckingDisabled), now)
	if st != cache.Fresh {
		return nil, false
	}
	resp, err := answer(e, req, now, false)
	return resp, err == nil
}

// Continue is the cache's way back: it stores what the forwarder got, and
// passes it on packed from the entry it stored, as a hit would be.
//
// A failed exchange is answered from a fresh entry if one is there now: a
// query that missed just before another exchange for the same question
// stored its answer, and joined dedup just after that exchange left it,
// asks upstream a second time, and a SERVFAIL on that second try must
// neither beat nor overwrite the good answer already cached.
func (l *CacheLink) Continue(_ context.Context, req *query.Request, resp *query.Response, err error) (*query.Response, error) {
	if err != nil || failedExchange(resp) {
		if hit, ok := l.Recheck(req); ok {
			return hit, nil
		}
	}
	if err == nil {
		q := req.Msg.Question[0]
		k := cache.NewKey(req.Name, q.Qtype, q.Qclass, req.DO(), req.Msg.CheckingDisabled)
		if l.store(k, resp) {
			return l.packed(req, k, resp), nil
		}
	}
	return resp, err
}

// failedExchange reports whether resp is an upstream's SERVFAIL.
func failedExchange(resp *query.Response) bool {
	return resp != nil && resp.Result == query.Forwarded && resp.Msg != nil && resp.Msg.Rcode == dns.RcodeServerFailure
}

// packed is resp, just stored as k, with its answer packed from the entry
// (Response.Wire) instead of its message, its provenance kept: the edge
// then writes it as it writes a hit, where packing the message again cost
// a miss about 4,000 instructions. A new Response, as resp may be shared
// (dedup's followers get the leader's). resp itself when the entry is not
// there or does not pack bare.
func (l *CacheLink) packed(req *query.Request, k cache.Key, resp *query.Response) *query.Response {
	now := l.cache.Now()
	e, st := l.cache.Peek(k, now)
	if st != cache.Fresh {
		return resp
	}
	wire, ok := e.AppendBare(req.Buffer(e.Len()+optLen), req.Msg.Id, req.Msg.Question[0].Name, now, false)
	if !ok {
		return resp
	}
	out := req.NewResponse()
	*out = *resp
	out.Msg, out.Wire, out.Targets = nil, wire, e.Targets()
	return out
}

// optLen is the size of the OPT record the edge appends: root name, type,
// class, TTL and an empty RDATA.
const optLen = 11

// answer builds the client's copy of a cached answer: packed and final
// (Response.Wire) when the entry allows, else unpacked.
func answer(e *cache.Entry, req *query.Request, now time.Time, stale bool) (*query.Response, error) {
	buf := req.Buffer(e.Len() + optLen)
	id, qname := req.Msg.Id, req.Msg.Question[0].Name
	if wire, ok := e.AppendBare(buf, id, qname, now, stale); ok {
		resp := req.NewResponse()
		resp.Wire, resp.Targets, resp.Result = wire, e.Targets(), query.Cached
		if stale {
			resp.Reason = "stale"
			resp.EDE = &dns.EDNS0_EDE{InfoCode: dns.ExtendedErrorCodeStaleAnswer}
		}
		return resp, nil
	}
	if stale {
		buf = e.AppendStale(buf, id, qname)
	} else {
		buf = e.AppendWire(buf, id, qname, now)
	}
	m := new(dns.Msg)
	if err := m.Unpack(buf); err != nil {
		return nil, fmt.Errorf("cached answer for %s: %w", req.Name, err)
	}
	resp := &query.Response{Msg: m, Result: query.Cached}
	if stale {
		resp.Reason = "stale"
		resp.EDE = &dns.EDNS0_EDE{InfoCode: dns.ExtendedErrorCodeStaleAnswer}
	}
	return resp, nil
}

// store caches what the forwarder got; anything else (a local or
// synthesized answer passed back through) is not an upstream answer.
// It reports whether it stored it.
func (l *CacheLink) store(k cache.Key, resp *query.Response) bool {
	if resp == nil || resp.Result != query.Forwarded || resp.Msg == nil {
		return false
	}
	stored, err := l.cache.Set(k, resp.Msg)
	if err != nil {
		l.log.Debug("not cached", zap.Error(err))
	}
	return stored && err == nil
}
