package upstream

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// udpTransport is plain DNS over UDP, retried over TCP when truncated.
type udpTransport struct {
	ep  endpoint
	d   *dialer
	tcp *tcpTransport
}

func (t *udpTransport) exchange(ctx context.Context, q *dns.Msg) (*dns.Msg, error) {
	addrs, _, err := t.d.resolve(ctx, t.ep.host, t.ep.port)
	if err != nil {
		return nil, err
	}
	r, err := exchangeUDP(ctx, addrs[0], q)
	if err == nil && r.Truncated {
		return t.tcp.exchange(ctx, q)
	}
	return r, err
}

func (t *udpTransport) close() {}

var udpBufPool = sync.Pool{New: func() any { b := make([]byte, dns.MaxMsgSize); return &b }}

// exchangeUDP sends q with a fresh crypto-random ID from a fresh socket
// (so a random source port) and reads until a datagram from server matches
// ID and question, or the context ends. Non-matching datagrams are ignored
// instead of ending the exchange, so a spoofer cannot make us give up
// (RFC 5452); the socket is connected, so the kernel already drops datagrams
// from other sources, and the source is checked again anyway.
func exchangeUDP(ctx context.Context, server netip.AddrPort, q *dns.Msg) (*dns.Msg, error) {
	m := q.Copy() // Pack writes to the OPT record, so racing attempts need their own
	m.Id = randomID()
	out, err := m.Pack()
	if err != nil {
		return nil, fmt.Errorf("pack query: %w", err)
	}
	conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(server))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if _, err := conn.Write(out); err != nil {
		return nil, err
	}
	bp := udpBufPool.Get().(*[]byte)
	defer udpBufPool.Put(bp)
	want := netip.AddrPortFrom(server.Addr().Unmap(), server.Port())
	var bad error
	for {
		n, from, err := conn.ReadFromUDPAddrPort(*bp)
		if err != nil {
			if bad != nil {
				return nil, fmt.Errorf("%w (then %w)", bad, err)
			}
			return nil, err
		}
		if netip.AddrPortFrom(from.Addr().Unmap(), from.Port()) != want {
			continue
		}
		r := new(dns.Msg)
		if err := r.Unpack((*bp)[:n]); err != nil {
			bad = fmt.Errorf("%w: %w", errBadReply, err)
			continue
		}
		if !matches(m, r) {
			bad = fmt.Errorf("%w: ID or question does not match", errBadReply)
			continue
		}
		return r, nil
	}
}

// tcpTransport is plain DNS over TCP, one connection per query.
type tcpTransport struct {
	ep endpoint
	d  *dialer
}

func (t *tcpTransport) exchange(ctx context.Context, q *dns.Msg) (*dns.Msg, error) {
	conn, err := t.d.dialContext(ctx, "tcp", t.ep.hostPort())
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	m := q.Copy() // Pack writes to the OPT record, so racing attempts need their own
	m.Id = randomID()
	if err := writeMsg(conn, m); err != nil {
		return nil, err
	}
	fr := newFrameReader(conn)
	for {
		r, err := fr.read()
		if err != nil {
			return nil, err
		}
		if matches(m, r) {
			return r, nil
		}
	}
}

func (t *tcpTransport) close() {}
