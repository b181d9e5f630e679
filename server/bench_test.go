package server

import (
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/internal/dnstest"
	"github.com/cleandns/cleandns/resolver"
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
	// On its own thread, as a UDP loop's goroutine mostly is, so that an
	// instruction count of the loop (callgrind --toggle-collect) sees only
	// this goroutine.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
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
	uq := new(resolver.Query) // reused, as the UDP loop reuses its query
	serve := func() {
		if reason := uq.Unpack(wire); reason != "" {
			b.Fatal(reason)
		}
		if resume := s.edge.ServeInline(&uq.Msg, client, 0, time.Time{}, buf, send); resume != nil {
			resume(&benchWriter{buf: make([]byte, 0, 512)}) // the first, a miss
			uq = new(resolver.Query)
		}
	}
	serve()
	s.gen.Load().cacheLink.Wait()
	serve()
	var r dns.Msg
	if err := r.Unpack(last); err != nil || r.Rcode != wantRcode {
		b.Fatalf("answer %v, %v", &r, err)
	}
	// On its own thread, as a UDP loop's goroutine mostly is, so that an
	// instruction count of the loop (callgrind --toggle-collect) sees only
	// this goroutine.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	for b.Loop() {
		serve()
	}
}

func BenchmarkInlineCacheHit(b *testing.B) { benchInline(b, "www.Example.com.", dns.RcodeSuccess) }
func BenchmarkInlineBlocked(b *testing.B)  { benchInline(b, "www.tiktok.com.", dns.RcodeNameError) }

// BenchmarkMissUDP measures one cache miss through the real UDP listener:
// a query for a name never asked before comes in over loopback, stops
// inline at the cache, is resumed on a goroutine of its own, forwarded from
// a pooled socket to an upstream on loopback and its answer written back.
// The client sends prepacked datagrams and the upstream answers from a raw
// socket, neither allocating, so allocs/op is the server's alone. One query
// at a time: ns/op is a miss's latency over four loopback hops, not a
// throughput.
func BenchmarkMissUDP(b *testing.B) {
	s := boot(b, upstreamYAML(rawUpstream(b)))
	c, err := net.Dial("udp", s.Addrs()[0])
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	q := new(dns.Msg).SetQuestion("q000000000.bench.example.", dns.TypeA)
	q.SetEdns0(1232, false)
	wire, err := q.Pack()
	if err != nil {
		b.Fatal(err)
	}
	digits := wire[14:23] // after the header, the label's length and its "q"
	in := make([]byte, 4096)
	_ = c.SetDeadline(time.Now().Add(time.Minute)) // a lost answer fails the run, not hangs it
	var n uint32
	b.ReportAllocs()
	for b.Loop() {
		n++
		for i, v := len(digits)-1, n; i >= 0; i, v = i-1, v/10 {
			digits[i] = '0' + byte(v%10)
		}
		binary.BigEndian.PutUint16(wire, uint16(n))
		if _, err := c.Write(wire); err != nil {
			b.Fatal(err)
		}
		for {
			m, err := c.Read(in)
			if err != nil {
				b.Fatal(err)
			}
			if m >= 12 && binary.BigEndian.Uint16(in) == uint16(n) {
				if rcode, an := in[3]&0xF, binary.BigEndian.Uint16(in[6:]); rcode != 0 || an != 1 {
					b.Fatalf("answer %d: rcode %d, %d answers", n, rcode, an)
				}
				break
			}
		}
	}
}

// rawUpstream is a fake upstream that answers every query with one A
// record, from a raw socket rather than a dns.Server so that it allocates
// nothing in the benchmark's process: its header and question, QR and RA
// set, and the answer 192.0.2.1 by a pointer to the question's name.
func rawUpstream(b *testing.B) string {
	b.Helper()
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = pc.Close() })
	go func() {
		in := make([]byte, dns.MaxMsgSize)
		out := make([]byte, 0, 512)
		for {
			n, from, err := pc.ReadFromUDPAddrPort(in)
			if err != nil {
				return
			}
			end := questionEnd(in[:n])
			if end < 0 {
				continue
			}
			out = append(out[:0], in[:end]...)
			out[2] |= 0x80                         // QR
			out[3] = 0x80                          // RA, NOERROR
			binary.BigEndian.PutUint16(out[6:], 1) // one answer,
			binary.BigEndian.PutUint32(out[8:], 0) // no authority or additional
			out = append(out, 0xC0, 12, 0, byte(dns.TypeA), 0, byte(dns.ClassINET), 0, 0, 1, 44, 0, 4, 192, 0, 2, 1)
			_, _ = pc.WriteToUDPAddrPort(out, from)
		}
	}()
	return pc.LocalAddr().String()
}

// questionEnd is the offset just past the first question of msg, or -1.
func questionEnd(msg []byte) int {
	i := 12
	for i < len(msg) && msg[i] != 0 {
		if msg[i]&0xC0 != 0 {
			return -1 // a query's question is never compressed
		}
		i += int(msg[i]) + 1
	}
	if i += 1 + 4; i > len(msg) {
		return -1
	}
	return i
}

// benchTCP measures one query at a time through the real TCP listener on
// one connection: framing, the stream's per-query goroutine and writer, the
// pipeline and the edge. The client writes a prepacked frame and reads the
// answer into a reused buffer, allocating nothing, so allocs/op is the
// server's.
func benchTCP(b *testing.B, name string, wantRcode int) {
	s := bootBench(b)
	c, err := net.Dial("tcp", s.Addrs()[0])
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	q := new(dns.Msg).SetQuestion(name, dns.TypeA)
	wire, err := q.Pack()
	if err != nil {
		b.Fatal(err)
	}
	frame := binary.BigEndian.AppendUint16(nil, uint16(len(wire)))
	frame = append(frame, wire...)
	in := make([]byte, dns.MaxMsgSize)
	_ = c.SetDeadline(time.Now().Add(time.Minute)) // a lost answer fails the run, not hangs it
	ask := func() {
		if _, err := c.Write(frame); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, in[:2]); err != nil {
			b.Fatal(err)
		}
		n := int(binary.BigEndian.Uint16(in))
		if _, err := io.ReadFull(c, in[:n]); err != nil {
			b.Fatal(err)
		}
		if rcode := int(in[3] & 0xF); n < 12 || rcode != wantRcode {
			b.Fatalf("answer of %d bytes, rcode %d, want %d", n, rcode, wantRcode)
		}
	}
	ask() // warms the cache
	s.gen.Load().cacheLink.Wait()
	b.ReportAllocs()
	for b.Loop() {
		ask()
	}
}

func BenchmarkTCPCacheHit(b *testing.B) { benchTCP(b, "www.example.com.", dns.RcodeSuccess) }
func BenchmarkTCPBlocked(b *testing.B)  { benchTCP(b, "www.tiktok.com.", dns.RcodeNameError) }
