// Package dnstest provides fake DNS servers for tests: real miekg/dns servers
// on loopback that answer through a handler and can be told to misbehave the
// way real upstreams do (delay, drop, truncate, SERVFAIL, garbage).
package dnstest

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Option changes how a fake server built by NewServer behaves.
type Option func(*behaviour)

type behaviour struct {
	delay    time.Duration
	drop     bool
	truncate bool
	rcode    int
	garbage  bool
	count    *atomic.Int64
}

// Delay makes the server wait d before answering each query.
func Delay(d time.Duration) Option { return func(b *behaviour) { b.delay = d } }

// Drop makes the server read queries and never answer them.
func Drop() Option { return func(b *behaviour) { b.drop = true } }

// Truncate makes the server answer UDP queries with an empty TC=1 reply, so
// that a correct client retries over TCP, where the handler answers.
func Truncate() Option { return func(b *behaviour) { b.truncate = true } }

// Rcode makes the server answer every query with rcode and no records.
func Rcode(rcode int) Option { return func(b *behaviour) { b.rcode = rcode } }

// Garbage makes the server answer with bytes that are not a DNS message.
func Garbage() Option { return func(b *behaviour) { b.garbage = true } }

// Count makes the server add one to n for every query it receives.
func Count(n *atomic.Int64) Option { return func(b *behaviour) { b.count = n } }

// NewServer starts a UDP and a TCP server on the same loopback port, serving
// h after applying opts, and returns their address ("127.0.0.1:port"). Both
// stop when the test ends. h may be nil when an option decides every answer.
func NewServer(t testing.TB, h dns.HandlerFunc, opts ...Option) string {
	t.Helper()
	b := &behaviour{rcode: -1}
	for _, o := range opts {
		o(b)
	}
	handler := b.wrap(h)
	pc, l := ListenPair(t)
	Serve(t, &dns.Server{PacketConn: pc, Handler: handler})
	Serve(t, &dns.Server{Listener: l, Handler: handler})
	return pc.LocalAddr().String()
}

// Serve starts srv (whose PacketConn or Listener is already set), waits until
// it is serving and shuts it down when the test ends.
func Serve(t testing.TB, srv *dns.Server) {
	t.Helper()
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	errc := make(chan error, 1)
	go func() { errc <- srv.ActivateAndServe() }()
	select {
	case <-started:
	case err := <-errc:
		t.Fatalf("dnstest: server did not start: %v", err)
	}
	t.Cleanup(func() { _ = srv.Shutdown() })
}

// ClosedAddr returns a loopback address on which nothing listens, for an
// upstream that is down: UDP queries to it fail at once (port unreachable).
func ClosedAddr(t testing.TB) string {
	t.Helper()
	pc, l := ListenPair(t)
	addr := pc.LocalAddr().String()
	_ = pc.Close()
	_ = l.Close()
	return addr
}

// ListenPair binds UDP and TCP on the same free loopback port, retrying when
// the TCP side of a free UDP port happens to be taken.
func ListenPair(t testing.TB) (net.PacketConn, net.Listener) {
	t.Helper()
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("dnstest: listen udp: %v", err)
		}
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, l
		}
		_ = pc.Close()
	}
	t.Fatal("dnstest: no free port for both UDP and TCP")
	return nil, nil
}

func (b *behaviour) wrap(h dns.HandlerFunc) dns.HandlerFunc {
	return func(w dns.ResponseWriter, r *dns.Msg) {
		if b.count != nil {
			b.count.Add(1)
		}
		if b.delay > 0 {
			time.Sleep(b.delay)
		}
		switch {
		case b.drop:
			return
		case b.garbage:
			_, _ = w.Write([]byte{0xde, 0xad, 0xbe, 0xef})
			return
		case b.truncate && w.LocalAddr().Network() == "udp":
			m := new(dns.Msg).SetReply(r)
			m.Truncated = true
			_ = w.WriteMsg(m)
			return
		case b.rcode >= 0:
			_ = w.WriteMsg(new(dns.Msg).SetRcode(r, b.rcode))
			return
		}
		if h == nil {
			_ = w.WriteMsg(new(dns.Msg).SetRcode(r, dns.RcodeServerFailure))
			return
		}
		h(w, r)
	}
}
