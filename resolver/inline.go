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
	refuse  func(*query.Request) error
	recheck rechecker // nil without a cache
}

// rechecker is the cache, looked at again when a query resumes: an answer
// stored while it waited to be resumed (by the identical query before it)
// saves an upstream exchange. The look is not counted: the inline run
// counted this query's miss.
type rechecker interface {
	Recheck(req *query.Request) (*query.Response, bool)
}

// resumeRest is what a query suspended at the stop has left: the cache's
// second look, then dedup and the forwarder.
type resumeRest struct {
	recheck rechecker
	next    Handler
}

func (r *resumeRest) Resolve(ctx context.Context, req *query.Request) (*query.Response, error) {
	if resp, ok := r.recheck.Recheck(req); ok {
		return resp, nil
	}
	return r.next.Resolve(ctx, req)
}

var _ Link = inlineStop{}

// Resolve suspends inline runs here, with the rest of the chain left to do,
// unless refuse refuses them at once, and passes other runs on.
func (s inlineStop) Resolve(ctx context.Context, req *query.Request, next Handler) (*query.Response, error) {
	return s.resolve(ctx, req, next, s.rest(next))
}

// rest is what a query suspended here has left when next follows.
func (s inlineStop) rest(next Handler) query.Rest {
	if s.recheck != nil {
		return &resumeRest{recheck: s.recheck, next: next}
	}
	return next
}

func (s inlineStop) resolve(ctx context.Context, req *query.Request, next Handler, rest query.Rest) (*query.Response, error) {
	if !req.Inline {
		return next.Resolve(ctx, req)
	}
	if s.refuse != nil {
		if err := s.refuse(req); err != nil {
			return nil, err
		}
	}
	return suspend(req, rest)
}

// boundStop is an inlineStop in a chain (Chain), with the rest after it
// built once: a suspended query's rest is the same every time, and was an
// allocation on every miss.
type boundStop struct {
	stop inlineStop
	next Handler
	rest query.Rest
}

func (b *boundStop) Resolve(ctx context.Context, req *query.Request) (*query.Response, error) {
	return b.stop.resolve(ctx, req, b.next, b.rest)
}

// udpProto is the resolved-metrics index of "udp".
var udpProto = protocolIndex(query.ProtoUDP)

// ServeInline answers one UDP query on the calling goroutine, a socket's
// reader, when the pipeline can do so without waiting: cache hits, blocked,
// local and refused answers. It packs the answer into buf (or uses the
// cache's packed answer), hands it to send and returns nil. When the query
// needs an upstream it sends nothing and returns resume, which the caller
// runs on another goroutine with the writer for the client: it carries on
// from where the inline run stopped. client is the source address,
// IPv4-mapped addresses unmapped. received is when the datagram was read
// (zero: now); a loop that reads many at once reads the clock once for all.
// lane numbers the calling loop (query.Request.Lane).
func (e *Edge) ServeInline(r *dns.Msg, client netip.Addr, lane int, received time.Time, buf []byte, send func([]byte) error) (resume func(w dns.ResponseWriter)) {
	start := received
	if start.IsZero() {
		start = e.now()
	}
	run := e.inlineRun()
	req := &run.req
	resp, wouldBlock := e.resolveInto(req, r, client, "", query.ProtoUDP, lane, start, true, buf)
	if wouldBlock {
		return run.resume
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
	e.inlineReqs.Put(run)
	return nil
}

// inlineRun is a recycled Request (Edge.inlineReqs) with the function that
// resumes it bound once: ServeInline hands resume to the transport for each
// query it suspends, and a closure made there was an allocation per miss.
// resume runs once per suspension; the run is recycled when it ends.
type inlineRun struct {
	req    query.Request
	resume func(w dns.ResponseWriter)
}

// inlineRun returns a recycled run, for inlineReqs once its answer is sent.
func (e *Edge) inlineRun() *inlineRun {
	if run, _ := e.inlineReqs.Get().(*inlineRun); run != nil {
		return run
	}
	run := new(inlineRun)
	run.resume = func(w dns.ResponseWriter) { e.resume(w, run) }
	return run
}

// resume finishes, writing to w, a query ServeInline suspended.
// The answer is packed into a recycled buffer, as a stream query's is: a
// miss's answer would otherwise cost a Response and a buffer of its own
// (the cache's packed copy), garbage once sent.
func (e *Edge) resume(w dns.ResponseWriter, run *inlineRun) {
	req := &run.req
	bp := e.streamBuf()
	resp, _ := e.run(req, true, *bp)
	if resp.Sends() {
		e.write(w, req.Msg, resp, query.ProtoUDP)
	}
	e.observe(req, resp, udpProto, req.Start)
	e.inlineReqs.Put(run)
	e.streamBufs.Put(bp)
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
