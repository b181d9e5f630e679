package resolver

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/zap"

	"github.com/cleandns/cleandns/metrics"
	"github.com/cleandns/cleandns/query"
)

// MaxUDPSize is the largest UDP answer cleandns sends: the DNS Flag Day 2020
// value, small enough to avoid IP fragmentation on any common path.
const MaxUDPSize = 1232

// EdgeConfig configures the edge. No config file key sets it: the server
// uses the defaults, and tests set it directly.
type EdgeConfig struct {
	// MaxUDPSize caps UDP answers (and the size we advertise); default 1232.
	MaxUDPSize int
}

// Validate checks the values are usable.
func (c EdgeConfig) Validate() error {
	if c.MaxUDPSize != 0 && (c.MaxUDPSize < 512 || c.MaxUDPSize > 65535) {
		return fmt.Errorf("edge: MaxUDPSize %d is outside 512..65535", c.MaxUDPSize)
	}
	return nil
}

// Edge adapts the pipeline to miekg/dns. It is the only dns.Handler: every
// listener, whatever its transport, feeds the same Edge, which owns what must
// happen exactly once per query: header checks, panic recovery, SERVFAIL on
// error, EDNS and Extended DNS Errors, truncation, compression and metrics.
type Edge struct {
	next     atomic.Pointer[handlerBox] // swapped whole on reload
	recorder atomic.Pointer[recorderBox]
	metrics  *edgeMetrics
	logger   *zap.Logger
	maxUDP   int
	now      func() time.Time
	// inlineReqs recycles the Requests of queries answered inline
	// (*inlineRun): nothing keeps one once the answer is sent and observed
	// (a background refresh copies it), and a socket's reader answers tens
	// of thousands a second.
	inlineReqs sync.Pool
	// streamBufs recycles the answer buffers of serve and resume (*[]byte).
	streamBufs sync.Pool
}

// NewEdge returns the edge in front of next.
func NewEdge(cfg EdgeConfig, next Handler, m *metrics.Metrics, logger *zap.Logger) *Edge {
	size := cfg.MaxUDPSize
	if size == 0 {
		size = MaxUDPSize
	}
	e := &Edge{metrics: newEdgeMetrics(m), logger: logger, maxUDP: size, now: time.Now}
	e.Swap(next)
	return e
}

// handlerBox lets an interface value sit behind an atomic pointer.
type handlerBox struct{ h Handler }

// Swap replaces the pipeline behind the edge. Queries already inside the
// old pipeline finish there; the next query takes the new one. This is how
// a reload changes everything but the sockets without losing a query.
func (e *Edge) Swap(next Handler) { e.next.Store(&handlerBox{h: next}) }

// For returns the dns.Handler a listener of the given protocol ("udp",
// "tcp", "dot", "doh", "doq") serves with. A listener whose writer has a
// ClientID() string method names the device with it (transport.Identified).
func (e *Edge) For(protocol string) dns.Handler {
	return &transport{edge: e, protocol: protocol, proto: protocolIndex(protocol)}
}

// AcceptFunc is the MsgAcceptFunc listeners use: it ignores responses (which
// could be used for reflection) and lets everything else reach the edge, so
// that the edge, not the library, decides on FORMERR and NOTIMP.
func AcceptFunc(dh dns.Header) dns.MsgAcceptAction {
	if dh.Bits&(1<<15) != 0 { // QR: a response, not a query
		return dns.MsgIgnore
	}
	return dns.MsgAccept
}

type transport struct {
	edge     *Edge
	protocol string
	proto    int // protocolIndex(protocol), for the resolved metrics
}

func (t *transport) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	t.edge.serve(w, r, t.protocol, t.proto)
}

// identified is transport.Identified, without importing the transports.
type identified interface{ ClientID() string }

// serve answers a query of a stream listener (TCP, DoT, DoH, DoQ) or the
// stock UDP server, on a goroutine of the listener's that may wait. It
// runs the pipeline as the UDP loop does, inline first with a recycled
// Request and buffer, so a cached or blocked answer costs what it costs
// there; a query that needs an upstream runs again, resumed, right here.
func (e *Edge) serve(w dns.ResponseWriter, r *dns.Msg, protocol string, proto int) {
	start := e.now()
	var id string
	if iw, ok := w.(identified); ok {
		id = iw.ClientID()
	}
	client := clientAddr(w.RemoteAddr())
	run := e.inlineRun()
	req := &run.req
	defer e.inlineReqs.Put(run)
	bp := e.streamBuf()
	defer e.streamBufs.Put(bp)
	resp, wouldBlock := e.resolveInto(req, r, client, id, protocol, streamLane(client), start, true, *bp)
	if wouldBlock {
		// This goroutine is the query's own and may wait: the rest runs
		// here, from where the inline run stopped, packing into the same
		// buffer: the inline run did not send from it.
		resp, _ = e.run(req, true, *bp)
	}
	if resp.Sends() { // otherwise a drop: nothing is sent
		e.write(w, r, resp, protocol)
	}
	e.observe(req, resp, proto, start)
}

// streamLane is a stream query's query.Request.Lane: the last byte of its
// client's address, so that clients spread over the query log's shards
// (a stream listener's goroutines are many, not one per core).
func streamLane(client netip.Addr) int {
	b := client.As16()
	return int(b[15])
}

// streamBuf returns a recycled answer buffer, for streamBufs once the
// answer in it is sent.
func (e *Edge) streamBuf() *[]byte {
	if bp, _ := e.streamBufs.Get().(*[]byte); bp != nil {
		return bp
	}
	b := make([]byte, 0, streamBufSize)
	return &b
}

// streamBufSize is the capacity of serve's recycled answer buffers: most
// answers fit; a bigger one is packed into a buffer of its own.
const streamBufSize = 4096

// write sends the answer: a packed one as it is when finishWire can finish
// it, anything else through finish and miekg's packing.
func (e *Edge) write(w dns.ResponseWriter, r *dns.Msg, resp *query.Response, protocol string) {
	var err error
	if wire, ok := e.finishWire(r, resp, protocol); ok {
		_, err = w.Write(wire)
	} else {
		if _, uerr := resp.Message(); uerr != nil {
			e.logger.Debug("unpack answer", zap.Error(uerr))
			*resp = *servfail(r, "unpack answer")
		}
		err = w.WriteMsg(e.finish(r, resp, protocol))
	}
	if err != nil {
		e.logger.Debug("write answer", zap.Error(err))
	}
}

// resolveInto resets req for the query r and runs the pipeline on it. An
// inline run may pack its answer into scratch, and reports wouldBlock, with
// no response, when the query was suspended: the caller resumes it (run
// with resume set) on another goroutine. The request describes the query
// for metrics and the query log, header failures included.
func (e *Edge) resolveInto(req *query.Request, r *dns.Msg, client netip.Addr, clientID, protocol string, lane int, start time.Time, inline bool, scratch []byte) (resp *query.Response, wouldBlock bool) {
	*req = query.Request{
		Msg:      r,
		Client:   client,
		ClientID: clientID,
		Protocol: protocol,
		Group:    query.DefaultGroup,
		Start:    start,
		Lane:     lane,
		Inline:   inline,
		Scratch:  scratch,
	}
	if len(r.Question) > 0 {
		q := r.Question[0]
		req.Name, req.Type = lowerFqdn(q.Name), q.Qtype
	}
	return e.run(req, false, nil)
}

// run runs the pipeline on req, or with resume the rest of a suspended
// req (which may pack its answer into scratch), turning errors and panics
// into SERVFAIL so a bad query can never take the server down.
func (e *Edge) run(req *query.Request, resume bool, scratch []byte) (resp *query.Response, wouldBlock bool) {
	r := req.Msg
	defer func() {
		if p := recover(); p != nil {
			e.panicked("pipeline", p)
			resp, wouldBlock = servfail(r, "panic"), false
		}
	}()
	var err error
	if resume {
		resp, err = req.Resume(context.Background(), scratch)
	} else {
		if bad := checkHeader(r); bad != nil {
			return bad, false
		}
		resp, err = e.next.Load().h.Resolve(context.Background(), req)
	}
	if err != nil {
		if req.Inline && err == ErrWouldBlock && req.Suspended() {
			return nil, true
		}
		e.logger.Debug("resolve failed", zap.String("qname", req.Name), zap.Error(err))
		resp := servfail(r, err.Error())
		withEDE(resp, err)
		return resp, false
	}
	if resp == nil || (!resp.Sends() && resp.Result != query.Dropped && resp.Result != query.RateLimited) {
		return servfail(r, "no answer"), false
	}
	return resp, false
}

// panicked logs and counts a recovered panic.
func (e *Edge) panicked(where string, p any) {
	e.logger.Error("panic recovered", zap.String("where", where), zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
	e.metrics.m.PanicsRecovered.WithLabelValues(where).Inc()
}

// lowerFqdn is strings.ToLower(dns.Fqdn(name)) without allocating for the
// usual name, already lowercase and fully qualified.
func lowerFqdn(name string) string {
	for i := 0; i < len(name); i++ {
		if c := name[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(dns.Fqdn(name))
		}
	}
	return dns.Fqdn(name)
}

// checkHeader answers what the pipeline must never see: other opcodes,
// a question count other than one, more than one OPT, EDNS versions above 0,
// meta types as the question, classes other than IN.
func checkHeader(r *dns.Msg) *query.Response {
	if r.Opcode != dns.OpcodeQuery {
		return local(r, dns.RcodeNotImplemented, "opcode")
	}
	if len(r.Question) != 1 {
		return local(r, dns.RcodeFormatError, "qdcount")
	}
	opts := 0
	for _, rr := range r.Extra {
		if rr.Header().Rrtype == dns.TypeOPT {
			opts++
		}
	}
	if opts > 1 {
		return local(r, dns.RcodeFormatError, "opt")
	}
	if o := r.IsEdns0(); o != nil && o.Version() != 0 {
		return local(r, dns.RcodeBadVers, "edns-version")
	}
	switch r.Question[0].Qtype {
	case dns.TypeOPT, dns.TypeTSIG, dns.TypeTKEY:
		// Meta types that only ever sit in the additional section: asking
		// for one is a malformed question (RFC 6891 §6.1.1, RFC 8945 §5.2).
		return local(r, dns.RcodeFormatError, "qtype")
	}
	if c := r.Question[0].Qclass; c != dns.ClassINET {
		// CH, HS, NONE, ANY and class 0 are never forwarded: upstreams
		// answer them with their own identity, or with IN records that
		// would be cached as an answer to another class.
		resp := local(r, dns.RcodeRefused, "qclass")
		resp.Result = query.Refused
		return resp
	}
	switch r.Question[0].Qtype {
	case dns.TypeAXFR, dns.TypeIXFR, dns.TypeMAILA, dns.TypeMAILB:
		// A forwarder transfers no zones; forwarding them would also let
		// any client collect REFUSED answers that mark upstreams down.
		resp := local(r, dns.RcodeRefused, "qtype")
		resp.Result = query.Refused
		return resp
	}
	return nil
}

func local(r *dns.Msg, rcode int, reason string) *query.Response {
	m := new(dns.Msg)
	m.SetRcode(r, rcode)
	return &query.Response{Msg: m, Result: query.Local, Reason: reason}
}

func servfail(r *dns.Msg, reason string) *query.Response {
	m := new(dns.Msg)
	m.SetRcode(r, dns.RcodeServerFailure)
	return &query.Response{Msg: m, Result: query.Servfail, Reason: reason}
}

// clientAddr returns the source address with IPv4-mapped IPv6 unmapped, so
// that ::ffff:10.0.0.1 matches the rules written for 10.0.0.1.
func clientAddr(a net.Addr) netip.Addr {
	switch a := a.(type) {
	case *net.UDPAddr:
		return a.AddrPort().Addr().Unmap()
	case *net.TCPAddr:
		return a.AddrPort().Addr().Unmap()
	}
	if a == nil {
		return netip.Addr{}
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}
