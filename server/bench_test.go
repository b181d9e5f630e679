package server

import (
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/internal/dnstest"
)

// benchWriter is the ResponseWriter of a UDP client on loopback; it keeps
// the last answer's bytes so a benchmark can check them.
type benchWriter struct {
	last []byte
	buf  []byte
}

var benchClient = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}

func (w *benchWriter) LocalAddr() net.Addr  { return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 53} }
func (w *benchWriter) RemoteAddr() net.Addr { return benchClient }
func (w *benchWriter) WriteMsg(m *dns.Msg) error {
	b, err := m.PackBuffer(w.buf[:cap(w.buf)])
	w.last, w.buf = b, b
	return err
}
func (w *benchWriter) Write(b []byte) (int, error) {
	w.last = append(w.last[:0], b...)
	return len(b), nil
}
func (w *benchWriter) Close() error        { return nil }
func (w *benchWriter) TsigStatus() error   { return nil }
func (w *benchWriter) TsigTimersOnly(bool) {}
func (w *benchWriter) Hijack()             {}

// bootBench starts the shipped default config (metrics and rate limiting on,
// loopback exempt) against a fake upstream.
func bootBench(b *testing.B) *Server {
	b.Helper()
	var n atomic.Int64
	return boot(b, upstreamYAML(dnstest.NewServer(b, answerA(&n))))
}

// benchEdge measures one UDP query through the whole pipeline, edge
// included: unpacking the query as the listener does, the links, finishing
// and packing the answer, and the metrics.
func benchEdge(b *testing.B, name string, wantRcode int) {
	s := bootBench(b)
	h := s.edge.For("udp")
	q := new(dns.Msg).SetQuestion(name, dns.TypeA)
	wire, err := q.Pack()
	if err != nil {
		b.Fatal(err)
	}
	w := &benchWriter{buf: make([]byte, 0, 512)}
	m := new(dns.Msg) // reused, as the UDP loop reuses its message
	serve := func() {
		*m = dns.Msg{}
		if err := m.Unpack(wire); err != nil {
			b.Fatal(err)
		}
		h.ServeDNS(w, m)
	}
	serve() // warms the cache
	s.gen.Load().cacheLink.Wait()
	serve()
	var r dns.Msg
	if err := r.Unpack(w.last); err != nil || r.Rcode != wantRcode {
		b.Fatalf("answer %v, %v", &r, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		serve()
	}
}

func BenchmarkEdgeCacheHit(b *testing.B) { benchEdge(b, "www.Example.com.", dns.RcodeSuccess) }
func BenchmarkEdgeBlocked(b *testing.B)  { benchEdge(b, "www.tiktok.com.", dns.RcodeNameError) }

// benchInline is benchEdge for udpLoop's path: the query unpacked and
// answered inline (Edge.ServeInline) into a reused buffer; no socket.
func benchInline(b *testing.B, name string, wantRcode int) {
	s := bootBench(b)
	q := new(dns.Msg).SetQuestion(name, dns.TypeA)
	wire, err := q.Pack()
	if err != nil {
		b.Fatal(err)
	}
	client := netip.MustParseAddr("127.0.0.1")
	buf := make([]byte, 0, 4096)
	var last []byte
	send := func(p []byte) error { last = p; return nil }
	m := new(dns.Msg) // reused, as the UDP loop reuses its message
	serve := func() {
		*m = dns.Msg{}
		if err := m.Unpack(wire); err != nil {
			b.Fatal(err)
		}
		if resume := s.edge.ServeInline(m, client, time.Time{}, buf, send); resume != nil {
			resume(&benchWriter{buf: make([]byte, 0, 512)}) // the first, a miss
			m = new(dns.Msg)
		}
	}
	serve()
	s.gen.Load().cacheLink.Wait()
	serve()
	var r dns.Msg
	if err := r.Unpack(last); err != nil || r.Rcode != wantRcode {
		b.Fatalf("answer %v, %v", &r, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		serve()
	}
}

func BenchmarkInlineCacheHit(b *testing.B) { benchInline(b, "www.Example.com.", dns.RcodeSuccess) }
func BenchmarkInlineBlocked(b *testing.B)  { benchInline(b, "www.tiktok.com.", dns.RcodeNameError) }
