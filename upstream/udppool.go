package upstream

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// Pool sizing. 32 sockets give a spoofer 5 more bits to guess than the ID's
// 16 at any instant, and rotation moves every port within a second or two
// under load (within udpRotateAge when idle), so over an attack's time the
// ports range over the kernel's whole ephemeral range, as a socket per query
// did, at one socket opened per udpRotateUses queries instead of per query.
const (
	udpPoolSize   = 32
	udpRotateUses = 1024
	udpRotateAge  = 30 * time.Second
)

// udpPools holds one udpPool per upstream address, made on first use.
type udpPools struct {
	now func() time.Time

	mu     sync.Mutex
	pools  map[netip.AddrPort]*udpPool
	closed bool
}

func newUDPPools(now func() time.Time) *udpPools {
	return &udpPools{now: now, pools: map[netip.AddrPort]*udpPool{}}
}

// exchange sends q to server from one of its pooled sockets and waits,
// until deadline or ctx's end, for the matching reply.
func (ps *udpPools) exchange(ctx context.Context, deadline time.Time, server netip.AddrPort, q *dns.Msg) (*dns.Msg, error) {
	server = unmapped(server)
	ps.mu.Lock()
	p := ps.pools[server]
	if p == nil && !ps.closed {
		p = &udpPool{server: server, now: ps.now}
		ps.pools[server] = p
	}
	ps.mu.Unlock()
	if p == nil {
		return nil, errPoolClosed
	}
	return p.exchange(ctx, deadline, q)
}

// close stops new queries and closes each socket once it is idle.
func (ps *udpPools) close() {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.closed = true
	for _, p := range ps.pools {
		p.close()
	}
}

// udpPool holds the pre-opened UDP sockets of one upstream address
// (Unbound's outgoing-range, kept open): each connected to the upstream from
// a random ephemeral port, so the kernel drops datagrams from any other
// source and reports the upstream's ICMP errors, and each read by one
// goroutine that hands a reply to the query waiting for it. It keeps RFC
// 5452's protection: a query leaves on a random socket with a crypto-random
// ID not in use on it, and a reply is taken only from the upstream's address
// and port with the query's ID and question; anything else is ignored and
// the query keeps waiting, so a spoofer cannot end it early. A socket is
// replaced after udpRotateUses queries or udpRotateAge, and closed once its
// last query ends.
type udpPool struct {
	server netip.AddrPort // unmapped
	slots  [udpPoolSize]atomic.Pointer[udpSocket]
	now    func() time.Time

	mu     sync.Mutex // serialises opening sockets, guards closed
	closed bool
}

// udpSocket is one pooled socket.
type udpSocket struct {
	conn    *net.UDPConn
	server  netip.AddrPort // unmapped
	port    uint16
	opened  time.Time
	mu      sync.Mutex
	pending map[uint16]*udpWait
	uses    int  // queries started on it
	retired bool // replaced in its slot: closed once pending empties
	err     error
}

// udpWait is a query waiting for its reply. Waits are recycled (udpWaits)
// with their channel, timer and buffer, so a query allocates none of them:
// when exchange returns, nothing else holds the wait (forget or the reply
// took it out of pending, the only place the reader finds it) and its
// channel is empty.
type udpWait struct {
	query  *dns.Msg      // read-only: racing attempts share it
	id     uint16        // the ID it was sent with (query.Id is not set)
	reply  chan *dns.Msg // buffered: the reader never blocks
	bad    error         // a datagram from the server that did not answer; under the socket's mu
	closed error         // the socket failed under the query; under the socket's mu
	timer  *time.Timer   // the attempt's deadline; stopped between uses
	buf    []byte        // the query is packed into it
}

// udpWaits recycles udpWait.
var udpWaits = sync.Pool{New: func() any {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &udpWait{reply: make(chan *dns.Msg, 1), timer: t, buf: make([]byte, 0, 512)}
}}

// errPoolClosed ends the exchanges of a closed Forwarder.
var errPoolClosed = errors.New("upstream sockets closed")

// exchange sends q from a random socket and waits, until deadline or
// ctx's end, for the matching reply.
func (p *udpPool) exchange(ctx context.Context, deadline time.Time, q *dns.Msg) (*dns.Msg, error) {
	w := udpWaits.Get().(*udpWait)
	defer w.recycle()
	w.query = q
	s, err := p.register(w)
	if err != nil {
		return nil, err
	}
	id := w.id
	out, err := packQuery(w.buf[:0], id, q)
	if err == nil {
		w.buf = out[:0]
		_, err = s.conn.Write(out)
	}
	if err != nil {
		s.forget(id, w)
		return nil, fmt.Errorf("send: %w", err)
	}
	w.timer.Reset(time.Until(deadline))
	defer w.timer.Stop()
	var end error
	select {
	case r := <-w.reply:
		if r == nil {
			return nil, s.reason(w)
		}
		return r, nil
	case <-w.timer.C:
		end = context.DeadlineExceeded
	case <-ctx.Done():
		end = ctx.Err()
	}
	if r := s.forget(id, w); r != nil {
		return r, nil // answered as the wait ended
	}
	if bad := s.reason(w); bad != nil {
		return nil, fmt.Errorf("%w (then %w)", bad, end)
	}
	return nil, end
}

// packQuery packs q with the ID id into buf: by appendQuery for the
// queries newQuery builds, else by miekg, on a copy, since its Pack writes
// to the OPT record and racing attempts share q.
func packQuery(buf []byte, id uint16, q *dns.Msg) ([]byte, error) {
	if out, ok := appendQuery(buf, id, q); ok {
		return out, nil
	}
	c := q.Copy()
	c.Id = id
	return c.PackBuffer(buf[:cap(buf)])
}

// recycle returns w to udpWaits once its exchange is over. The timer is
// stopped already (Go 1.23's timers: no stale tick after Stop).
func (w *udpWait) recycle() {
	w.query, w.bad, w.closed = nil, nil, nil
	udpWaits.Put(w)
}

func unmapped(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}

// register picks a random socket, rotating it when it is due, and records
// w under an ID unused on it, which it sets in w.id.
func (p *udpPool) register(w *udpWait) (*udpSocket, error) {
	i := rand.IntN(udpPoolSize)
	for {
		s := p.slots[i].Load()
		if s == nil {
			var err error
			if s, err = p.open(i, nil); err != nil {
				return nil, err
			}
		}
		s.mu.Lock()
		if s.retired || s.err != nil {
			s.mu.Unlock()
			// Retired by another query that may not have replaced it yet.
			if _, err := p.open(i, s); err != nil {
				return nil, err
			}
			continue
		}
		s.uses++
		rotate := s.uses >= udpRotateUses || p.now().Sub(s.opened) >= udpRotateAge
		// This query still goes out on s; the next ones on its successor.
		s.retired = rotate
		for {
			// Unique among outstanding queries, or replies could be crossed.
			if w.id = randomID(); s.pending[w.id] == nil {
				break
			}
		}
		s.pending[w.id] = w
		s.mu.Unlock()
		if rotate {
			_, _ = p.open(i, s) // failing, the next query tries again
		}
		return s, nil
	}
}

// open puts a new socket in slot i unless the slot holds another than old
// already, and returns the slot's socket.
func (p *udpPool) open(i int, old *udpSocket) (*udpSocket, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, errPoolClosed
	}
	if cur := p.slots[i].Load(); cur != old {
		return cur, nil
	}
	// No local port: the kernel picks a random ephemeral one.
	conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(p.server))
	if err != nil {
		return nil, fmt.Errorf("open upstream socket: %w", err)
	}
	s := &udpSocket{
		conn: conn, server: p.server, port: uint16(conn.LocalAddr().(*net.UDPAddr).Port),
		opened: p.now(), pending: map[uint16]*udpWait{},
	}
	p.slots[i].Store(s)
	go s.read()
	if old != nil {
		old.closeIfIdle()
	}
	return s, nil
}

// close stops new queries; a socket closes once the queries waiting on it
// end, so an exchange in flight at shutdown still gets its answer.
func (p *udpPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for i := range p.slots {
		if s := p.slots[i].Swap(nil); s != nil {
			s.mu.Lock()
			s.retired = true
			s.mu.Unlock()
			s.closeIfIdle()
		}
	}
}

// forget removes w unless its reply came first, which it then returns.
func (s *udpSocket) forget(id uint16, w *udpWait) *dns.Msg {
	s.mu.Lock()
	if s.pending[id] == w {
		delete(s.pending, id)
	}
	s.mu.Unlock()
	s.closeIfIdle()
	select {
	case r := <-w.reply:
		return r
	default:
		return nil
	}
}

func (s *udpSocket) reason(w *udpWait) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w.closed != nil {
		return w.closed
	}
	return w.bad
}

// closeIfIdle closes a retired socket that no query waits on any more.
func (s *udpSocket) closeIfIdle() {
	s.mu.Lock()
	idle := s.retired && len(s.pending) == 0
	s.mu.Unlock()
	if idle {
		_ = s.conn.Close()
	}
}

// read hands each datagram to the query it answers until the socket closes,
// then fails the queries still waiting.
func (s *udpSocket) read() {
	buf := make([]byte, dns.MaxMsgSize)
	for {
		n, from, err := s.conn.ReadFromUDPAddrPort(buf)
		switch {
		case errors.Is(err, net.ErrClosed):
			s.fail(errPoolClosed, true)
			return
		case err != nil:
			// The upstream's ICMP error (port unreachable): every query
			// waiting on it fails now rather than at its timeout.
			s.fail(err, false)
		default:
			s.deliver(buf[:n], unmapped(from))
		}
	}
}

// deliver matches one datagram: the right source, ID and question, or it
// is ignored. One from a waiting query's server with its ID but not its
// question, or that is not DNS at all, is noted so that the query's error
// says it saw a bad reply, not merely silence.
func (s *udpSocket) deliver(b []byte, from netip.AddrPort) {
	if from != s.server {
		return // the socket is connected, so the kernel dropped these already
	}
	// The wait's query is read under mu: once the wait leaves pending it is
	// recycled, and w.query is another query's (or nil) by the time the
	// datagram is unpacked; the checks below see the same query or none.
	var w *udpWait
	var q *dns.Msg
	var id uint16
	if len(b) >= 2 {
		id = binary.BigEndian.Uint16(b)
		s.mu.Lock()
		if w = s.pending[id]; w != nil {
			q = w.query
		}
		s.mu.Unlock()
	}
	r := new(dns.Msg)
	err := r.Unpack(b)
	switch {
	case err != nil:
		s.noteBad(fmt.Errorf("%w: %w", errBadReply, err))
		return
	case w == nil:
		return // late, for a query gone, or spoofed
	case !answers(id, q, r):
		s.noteBadFor(id, w, q, fmt.Errorf("%w: ID or question does not match", errBadReply))
		return
	}
	s.mu.Lock()
	if s.pending[id] == w && w.query == q {
		delete(s.pending, id)
		w.reply <- r
	}
	s.mu.Unlock()
	s.closeIfIdle()
}

// noteBad notes err on every waiting query: which one a datagram that is
// not DNS was meant for cannot be told.
func (s *udpSocket) noteBad(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.pending {
		w.bad = err
	}
}

func (s *udpSocket) noteBadFor(id uint16, w *udpWait, q *dns.Msg, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending[id] == w && w.query == q {
		w.bad = err
	}
}

// fail wakes every waiting query with err; final when the socket is gone.
func (s *udpSocket) fail(err error, final bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if final {
		s.err = err
	}
	for id, w := range s.pending {
		w.closed = err
		delete(s.pending, id)
		w.reply <- nil
	}
}
