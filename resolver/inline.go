package resolver

import (
	"context"
	"net/netip"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/zap"

	"github.com/cleandns/cleandns/query"
)

// inlineStop ends an inline run where the pipeline would start waiting.
// refuse, when set, is asked first: a query the links below would refuse
// at once (Dedup's cached failures and wait limits) is refused inline, so
// a flood of them costs no goroutine each.
type inlineStop struct {
	refuse func(*query.Request) error
}

var _ Link = inlineStop{}

// Resolve returns ErrWouldBlock for inline runs, or refuse's error, and
// passes the rest on.
func (s inlineStop) Resolve(ctx context.Context, req *query.Request, next Handler) (*query.Response, error) {
	if !req.Inline {
		return next.Resolve(ctx, req)
	}
	if s.refuse != nil {
		if err := s.refuse(req); err != nil {
			return nil, err
		}
	}
	return nil, ErrWouldBlock
}

// udpProto is the resolved-metrics index of "udp".
var udpProto = protocolIndex(query.ProtoUDP)

// ServeInline answers one UDP query on the calling goroutine, a socket's
// reader, when the pipeline can do so without waiting: cache hits, blocked,
// local and refused answers. It packs the answer into buf (or uses the
// cache's packed answer), hands it to send and reports false. When the query
// needs an upstream it sends nothing and reports true: the caller must then
// pass r to ServeResumed on another goroutine. client is the source address,
// IPv4-mapped addresses unmapped. received is when the datagram was read
// (zero: now); a loop that reads many at once reads the clock once for all.
func (e *Edge) ServeInline(r *dns.Msg, client netip.Addr, received time.Time, buf []byte, send func([]byte) error) (resume bool) {
	start := received
	if start.IsZero() {
		start = e.now()
	}
	req, _ := e.inlineReqs.Get().(*query.Request)
	if req == nil {
		req = new(query.Request)
	}
	defer e.inlineReqs.Put(req)
	req, resp, wouldBlock := e.resolveInto(req, r, client, "", query.ProtoUDP, start, runInline, buf)
	if wouldBlock {
		return true
	}
	if resp.Sends() {
		out, err := e.pack(r, resp, query.ProtoUDP, buf)
		if err == nil {
			err = send(out)
		}
		if err != nil {
			e.logger.Debug("write answer", zap.Error(err))
		}
	}
	e.observe(req, resp, udpProto, start)
	return false
}

// ServeResumed answers, writing to w, a UDP query ServeInline could not.
func (e *Edge) ServeResumed(w dns.ResponseWriter, r *dns.Msg) {
	start := e.now()
	req, resp, _ := e.resolve(r, clientAddr(w.RemoteAddr()), query.ProtoUDP, start, runResumed)
	if resp.Sends() {
		e.write(w, r, resp, query.ProtoUDP)
	}
	e.observe(req, resp, udpProto, start)
}

// pack is write for a caller that sends the bytes itself: the packed answer
// as it is when finishWire can finish it, else finish packed into buf.
func (e *Edge) pack(r *dns.Msg, resp *query.Response, protocol string, buf []byte) ([]byte, error) {
	if wire, ok := e.finishWire(r, resp, protocol); ok {
		return wire, nil
	}
	if resp.Wire != nil {
		buf = nil // the packed answer may lie in buf (Request.Scratch): pack elsewhere
	}
	if _, err := resp.Message(); err != nil {
		e.logger.Debug("unpack answer", zap.Error(err))
		*resp = *servfail(r, "unpack answer")
	}
	return e.finish(r, resp, protocol).PackBuffer(buf[:cap(buf)])
}
