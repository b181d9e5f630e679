package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/zap"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"github.com/cleandns/cleandns/resolver"
)

// udpLoop serves one UDP socket from a single reading goroutine instead of
// miekg's goroutine per packet: it reads into a reused buffer, unpacks the
// query into a reused resolver.Query (the common query straight from the
// wire, anything else with miekg) and answers it inline when the pipeline
// can without waiting (cache hits, blocked and local answers), packing
// into a reused buffer. Queries that need an upstream are resumed on goroutines of their
// own, so a slow upstream never holds up the answers that need none. TCP
// stays with miekg's server.
//
// What it keeps from miekg's server, byte for byte: packets shorter than a
// header and responses (QR set, resolver.AcceptFunc) get no answer, and a
// query that does not unpack gets miekg's FORMERR. On a wildcard address
// every answer leaves from the address its query came to (IP_PKTINFO,
// through miekg's session helpers, as its server does).
type udpLoop struct {
	conn     *net.UDPConn
	edge     Handler
	log      *zap.Logger
	lane     int // the loop's number among its address's, for query.Request.Lane
	wildcard bool

	stopping atomic.Bool
	done     chan struct{} // closed when the reader returns
	resumed  sync.WaitGroup
	waiting  atomic.Int64 // resumed queries not yet answered
	workers  *workers[resumedQuery]
	// maxResumed is the cap on waiting (defaultMaxResumed; tests lower it).
	maxResumed int64

	// Owned by the reading goroutine.
	in    []byte
	out   []byte
	query *resolver.Query // the query, reused while queries are answered inline: next.query
	next  *suspended      // the query the next datagram is read into, with its writer should it be resumed
	// suspendeds holds suspended queries whose answers are sent, for next:
	// the reader takes them, the workers give them back.
	suspendeds sync.Pool
	received   time.Time       // when the current datagram was read (for a batch, when the batch was)
	peer       netip.AddrPort  // the current query's source, without a session
	sess       *dns.SessionUDP // the current query's source and destination, on a wildcard address read without batches
	oob        []byte          // with batches, the packet info its answer is sent with
	send       func([]byte) error
}

func newUDPLoop(conn *net.UDPConn, edge Handler, log *zap.Logger, lane int) (*udpLoop, error) {
	l := &udpLoop{
		conn: conn, edge: edge, log: log, lane: lane, done: make(chan struct{}), maxResumed: defaultMaxResumed,
		in: make([]byte, dns.MaxMsgSize), out: make([]byte, 0, dns.MaxMsgSize), next: new(suspended),
	}
	l.query = &l.next.query
	if a, ok := conn.LocalAddr().(*net.UDPAddr); ok && a.IP.IsUnspecified() {
		l.wildcard = true
		err6 := ipv6.NewPacketConn(conn).SetControlMessage(ipv6.FlagDst|ipv6.FlagInterface, true)
		err4 := ipv4.NewPacketConn(conn).SetControlMessage(ipv4.FlagDst|ipv4.FlagInterface, true)
		if err6 != nil && err4 != nil {
			return nil, fmt.Errorf("udp %s: IP_PKTINFO: %w", conn.LocalAddr(), err4)
		}
	}
	l.workers = newWorkers(l.answer, l.done)
	l.send = l.write // bound once: ServeInline's send costs no allocation per query
	return l, nil
}

// serve reads until shutdown. The socket is bound already, so queries sent
// before the loop runs wait in the kernel's buffer.
func (l *udpLoop) serve() error {
	defer close(l.done)
	if l.batchable() {
		return l.serveBatch()
	}
	for {
		n, err := l.read()
		if err != nil {
			if stop, err := l.readFailed(err); stop {
				return err
			}
			continue
		}
		l.received = time.Time{} // ServeInline reads the clock
		l.handle(l.in[:n])
	}
}

// readFailed says whether a read error ends the loop, and with what: nil
// at shutdown.
func (l *udpLoop) readFailed(err error) (stop bool, _ error) {
	if l.stopping.Load() || errors.Is(err, net.ErrClosed) {
		return true, nil
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false, nil
	}
	return true, err
}

func (l *udpLoop) read() (n int, err error) {
	if l.wildcard {
		n, l.sess, err = dns.ReadFromSessionUDP(l.conn, l.in)
		return n, err
	}
	n, l.peer, err = l.conn.ReadFromUDPAddrPort(l.in)
	return n, err
}

func (l *udpLoop) write(b []byte) error {
	var err error
	if l.wildcard {
		_, err = dns.WriteToSessionUDP(l.conn, b, l.sess)
	} else {
		_, err = l.conn.WriteToUDPAddrPort(b, l.peer)
	}
	return err
}

func (l *udpLoop) handle(pkt []byte) {
	if len(pkt) < 12 {
		return // too short to answer, as miekg's server
	}
	if resolver.AcceptFunc(dns.Header{Bits: uint16(pkt[2])<<8 | uint16(pkt[3])}) == dns.MsgIgnore {
		return
	}
	// The query's message is reused for the next one once it is answered
	// inline (the edge keeps nothing of it: a background refresh copies it);
	// a query resumed elsewhere takes it along, and the loop makes another.
	r := &l.query.Msg
	if l.query.Unpack(pkt) != "" {
		l.formerr(pkt)
		return
	}
	resume := l.edge.ServeInline(r, l.client(), l.lane, l.received, l.out, l.send)
	if resume == nil {
		return
	}
	if l.waiting.Load() >= l.maxResumed {
		l.shed(r)
		return
	}
	s := l.next
	oob := s.w.oob[:0] // its last use's: the batch's buffer is reused, so the packet info is copied
	s.w = udpWriter{conn: l.conn, peer: l.peer, sess: l.sess}
	if len(l.oob) > 0 {
		s.w.oob = append(oob, l.oob...)
	}
	l.next = l.spare()
	l.query = &l.next.query
	l.resumed.Add(1)
	l.waiting.Add(1)
	l.workers.run(resumedQuery{resume: resume, s: s})
}

// suspended is a query and the writer for its answer should it be
// resumed, in one allocation a resumed query rather than two: the loop
// reads each datagram into the next one's query, and only a query resumed
// elsewhere takes it along. Once its answer is sent it goes back to the
// loop's spares (udpLoop.suspendeds): a miss allocated one (440 B) that was
// garbage a millisecond later, and at 15,000 misses/s that garbage set the
// pace of the collections whose mark phases made the miss path's tail.
type suspended struct {
	query resolver.Query
	w     udpWriter
}

// spare returns a recycled suspended, or a new one.
func (l *udpLoop) spare() *suspended {
	if s, _ := l.suspendeds.Get().(*suspended); s != nil {
		return s
	}
	return new(suspended)
}

// resumedQuery is a query suspended inline, with the writer for its answer.
type resumedQuery struct {
	resume func(dns.ResponseWriter)
	s      *suspended
}

// answer runs a resumed query on one of the loop's workers. resume returns
// once the answer is sent and the query logged, and the edge keeps nothing
// of the query after that (a background refresh copies what it needs), so
// its suspended can be read into again.
func (l *udpLoop) answer(t resumedQuery) {
	t.resume(&t.s.w)
	l.waiting.Add(-1)
	l.resumed.Done()
	l.suspendeds.Put(t.s)
}

// defaultMaxResumed caps the queries of one socket resumed on goroutines of their
// own. The pipeline bounds what waits for upstreams (per client, per name,
// the upstream slots), but a reader that outruns a starved core would still
// pile up goroutines not yet there: 20,000 q/s of one dead name made 38,000
// of them. Past the cap a query that needs an upstream is answered at once
// on the reader, SERVFAIL with an Extended DNS Error.
const defaultMaxResumed = 4096

// shed answers r, which needs an upstream, SERVFAIL with an Extended DNS
// Error when it carried EDNS, as the pipeline answers what it sheds.
func (l *udpLoop) shed(r *dns.Msg) {
	opt := r.IsEdns0()
	r.SetRcode(r, dns.RcodeServerFailure)
	r.RecursionAvailable = true
	r.Answer, r.Ns, r.Extra = nil, nil, nil
	if opt != nil {
		r.SetEdns0(dns.MinMsgSize, opt.Do())
		r.IsEdns0().Option = []dns.EDNS0{&dns.EDNS0_EDE{InfoCode: dns.ExtendedErrorCodeOther,
			ExtraText: "too many queries are waiting for upstreams"}}
	}
	out, err := r.PackBuffer(l.out[:cap(l.out)])
	if err == nil {
		err = l.send(out)
	}
	if err != nil {
		l.log.Debug("write shed SERVFAIL", zap.Error(err))
	}
}

func (l *udpLoop) client() netip.Addr {
	if l.sess != nil {
		if a, ok := l.sess.RemoteAddr().(*net.UDPAddr); ok {
			return a.AddrPort().Addr().Unmap()
		}
		return netip.Addr{}
	}
	return l.peer.Addr().Unmap()
}

// formerr answers a query that is not a well-formed message: its header
// and question, FORMERR, and an OPT when it had one (resolver.FormErr).
func (l *udpLoop) formerr(pkt []byte) {
	out, err := resolver.FormErr(pkt, l.out[:cap(l.out)])
	if err == nil {
		err = l.send(out)
	}
	if err != nil {
		l.log.Debug("write FORMERR", zap.Error(err))
	}
}

// shutdown stops reading, waits (within ctx) for resumed queries, then
// closes the socket.
func (l *udpLoop) shutdown(ctx context.Context) error {
	l.stopping.Store(true)
	_ = l.conn.SetReadDeadline(time.Now()) // wakes the reader
	waited := make(chan struct{})
	go func() {
		<-l.done
		l.resumed.Wait()
		close(waited)
	}()
	var err error
	select {
	case <-waited:
	case <-ctx.Done():
		err = ctx.Err()
	}
	return errors.Join(err, l.conn.Close())
}

// udpWriter is the dns.ResponseWriter of a resumed query.
type udpWriter struct {
	conn *net.UDPConn
	peer netip.AddrPort
	sess *dns.SessionUDP
	oob  []byte // packet info: the source address, on a wildcard address read in batches
}

var _ dns.ResponseWriter = (*udpWriter)(nil)

func (w *udpWriter) LocalAddr() net.Addr { return w.conn.LocalAddr() }
func (w *udpWriter) RemoteAddr() net.Addr {
	if w.sess != nil {
		return w.sess.RemoteAddr()
	}
	return net.UDPAddrFromAddrPort(w.peer)
}
func (w *udpWriter) WriteMsg(m *dns.Msg) error {
	b, err := m.Pack()
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
func (w *udpWriter) Write(b []byte) (int, error) {
	if w.sess != nil {
		return dns.WriteToSessionUDP(w.conn, b, w.sess)
	}
	if w.oob != nil {
		n, _, err := w.conn.WriteMsgUDPAddrPort(b, w.oob, w.peer)
		return n, err
	}
	return w.conn.WriteToUDPAddrPort(b, w.peer)
}
func (w *udpWriter) Close() error        { return nil }
func (w *udpWriter) TsigStatus() error   { return nil }
func (w *udpWriter) TsigTimersOnly(bool) {}
func (w *udpWriter) Hijack()             {}
