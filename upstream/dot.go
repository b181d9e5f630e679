package upstream

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// dotTransport is DNS over TLS (RFC 7858), or over plain TCP when tls is
// nil, on one reused connection, with queries pipelined on it (RFC 7766
// section 6.2.1.1): any number may be outstanding, and a reader goroutine
// hands each reply to its query by ID.
type dotTransport struct {
	ep  endpoint
	d   *dialer
	tls *tls.Config // nil: plain TCP

	mu     sync.Mutex // guards conn and serialises dials, so queries share one
	conn   *dotConn
	closed bool
}

// errConnLost wraps the error that ended a DoT connection.
var errConnLost = errors.New("connection lost")

// errAddrExpired ends a connection to an address whose bootstrap TTL ran out.
var errAddrExpired = errors.New("upstream address expired")

func (t *dotTransport) exchange(ctx context.Context, deadline time.Time, q *dns.Msg) (*dns.Msg, error) {
	ctx, cancel := context.WithDeadline(ctx, deadline) // for the dial, the handshake and the write
	defer cancel()
	c, fresh, err := t.get(ctx)
	if err != nil {
		return nil, err
	}
	r, err := c.exchange(ctx, q)
	if err != nil && !fresh && errors.Is(err, errConnLost) && ctx.Err() == nil {
		// Servers may close idle connections at any time (RFC 7766 section
		// 6.2.3); a reused one failing is retried once on a new one.
		if c, _, err = t.get(ctx); err != nil {
			return nil, err
		}
		return c.exchange(ctx, q)
	}
	return r, err
}

// get returns the live connection, dialling one when there is none; fresh
// says it was just dialled.
func (t *dotTransport) get(ctx context.Context) (c *dotConn, fresh bool, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, false, errors.New("upstream closed")
	}
	if t.conn != nil && t.conn.alive() && !t.d.expired(t.conn.expires) {
		return t.conn, false, nil
	}
	raw, expires, err := t.d.dial(ctx, "tcp", t.ep.hostPort())
	if err != nil {
		return nil, false, err
	}
	conn := raw
	if t.tls != nil {
		tc := tls.Client(raw, t.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = raw.Close()
			return nil, false, fmt.Errorf("tls handshake: %w", err)
		}
		conn = tc
	}
	if t.conn != nil {
		// The host name's addresses expired: move to the new connection.
		// Queries still waiting on the old one retry on the new one.
		t.conn.fail(errAddrExpired)
	}
	t.conn = newDoTConn(conn, expires)
	return t.conn, true, nil
}

func (t *dotTransport) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	if t.conn != nil {
		t.conn.fail(errors.New("closed"))
	}
}

// dotConn is one pipelined connection.
type dotConn struct {
	conn net.Conn
	wmu  sync.Mutex // serialises writes

	mu       sync.Mutex
	pending  map[uint16]*dotQuery
	err      error     // why the connection ended; nil while alive
	lastRead time.Time // when a reply last arrived
	done     chan struct{}
	expires  time.Time // when the address dialled expires; zero: never
}

type dotQuery struct {
	q     *dns.Msg
	reply chan *dns.Msg // buffered, one reply
}

func newDoTConn(c net.Conn, expires time.Time) *dotConn {
	dc := &dotConn{conn: c, pending: map[uint16]*dotQuery{}, done: make(chan struct{}), expires: expires}
	go dc.readLoop()
	return dc
}

func (c *dotConn) alive() bool {
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

func (c *dotConn) exchange(ctx context.Context, q *dns.Msg) (*dns.Msg, error) {
	m := q.Copy() // Pack writes to the OPT record, so racing attempts need their own
	pq := &dotQuery{q: m, reply: make(chan *dns.Msg, 1)}
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return nil, fmt.Errorf("%w: %w", errConnLost, c.err)
	}
	for {
		// Unique among outstanding queries, or replies could be crossed.
		if m.Id = randomID(); c.pending[m.Id] == nil {
			break
		}
	}
	c.pending[m.Id] = pq
	c.mu.Unlock()
	defer c.forget(m.Id)

	sent := time.Now()
	c.wmu.Lock()
	dl, _ := ctx.Deadline()
	_ = c.conn.SetWriteDeadline(dl)
	err := writeMsg(c.conn, m)
	c.wmu.Unlock()
	if err != nil {
		c.fail(err)
		return nil, fmt.Errorf("%w: %w", errConnLost, err)
	}
	select {
	case r := <-pq.reply:
		return r, nil
	case <-c.done:
		select {
		case r := <-pq.reply: // answered just before the server closed
			return r, nil
		default:
			return nil, fmt.Errorf("%w: %w", errConnLost, c.reason())
		}
	case <-ctx.Done():
		c.mu.Lock()
		silent := c.lastRead.Before(sent)
		c.mu.Unlock()
		if silent {
			// Nothing at all came back since we asked: the connection may be
			// dead without a FIN (a NAT dropped it), so start afresh next time.
			c.fail(ctx.Err())
		}
		return nil, ctx.Err()
	}
}

func (c *dotConn) forget(id uint16) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}

func (c *dotConn) reason() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// fail ends the connection once, waking every waiting query.
func (c *dotConn) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return
	}
	c.err = err
	_ = c.conn.Close()
	close(c.done)
}

func (c *dotConn) readLoop() {
	fr := newFrameReader(c.conn)
	for {
		r, err := fr.read()
		var fe *frameError
		if errors.As(err, &fe) {
			continue // unparsable but framed: the stream is still in sync
		}
		if err != nil {
			c.fail(err)
			return
		}
		c.mu.Lock()
		c.lastRead = time.Now()
		pq := c.pending[r.Id]
		if pq != nil && matches(pq.q, r) {
			delete(c.pending, r.Id)
			pq.reply <- r
		}
		c.mu.Unlock()
	}
}
