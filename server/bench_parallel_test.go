package server

import (
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// benchInlineParallel is benchInline with b.RunParallel: each goroutine is
// one UDP loop, with its own message and buffer, all answering from the
// same pipeline. Run with -cpu 2 and -mutexprofile, it shows what the
// loops share on the hot path.
func benchInlineParallel(b *testing.B, name string, wantRcode int) {
	s := bootBench(b)
	q := new(dns.Msg).SetQuestion(name, dns.TypeA)
	wire, err := q.Pack()
	if err != nil {
		b.Fatal(err)
	}
	client := netip.MustParseAddr("127.0.0.1")
	warm := func(m *dns.Msg, buf []byte, send func([]byte) error) {
		if resume := s.edge.ServeInline(m, client, 0, time.Time{}, buf, send); resume != nil {
			resume(&benchWriter{buf: make([]byte, 0, 512)})
		}
	}
	m := new(dns.Msg)
	if err := m.Unpack(wire); err != nil {
		b.Fatal(err)
	}
	warm(m, make([]byte, 0, 4096), func([]byte) error { return nil })
	s.gen.Load().cacheLink.Wait()
	var bad, lanes atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 0, 4096)
		var last []byte
		send := func(p []byte) error { last = p; return nil }
		m := new(dns.Msg)
		lane := int(lanes.Add(1) - 1)
		for pb.Next() {
			*m = dns.Msg{}
			if err := m.Unpack(wire); err != nil {
				bad.Add(1)
				return
			}
			if resume := s.edge.ServeInline(m, client, lane, time.Time{}, buf, send); resume != nil {
				bad.Add(1) // answered inline after the warm-up, or the benchmark measures the wrong path
				resume(&benchWriter{buf: make([]byte, 0, 512)})
				m = new(dns.Msg)
			}
		}
		var r dns.Msg
		if err := r.Unpack(last); last != nil && (err != nil || r.Rcode != wantRcode) {
			bad.Add(1)
		}
	})
	if n := bad.Load(); n > 0 {
		b.Fatalf("%d queries not answered inline with rcode %d", n, wantRcode)
	}
}

func BenchmarkInlineParallelCacheHit(b *testing.B) {
	benchInlineParallel(b, "www.Example.com.", dns.RcodeSuccess)
}

func BenchmarkInlineParallelBlocked(b *testing.B) {
	benchInlineParallel(b, "www.tiktok.com.", dns.RcodeNameError)
}
