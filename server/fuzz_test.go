package server

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/internal/dnstest"
)

// FuzzServerSurvivesDatagrams sends each input as a UDP datagram through
// the whole server (listener, edge, pipeline, a fake upstream) and checks it
// still answers a plain query afterwards, with its goroutines bounded.
// .ci/fuzz runs it for a few seconds; run it longer with
// go test -fuzz FuzzServerSurvivesDatagrams -run XXX ./server
func FuzzServerSurvivesDatagrams(f *testing.F) {
	for _, pkt := range udpCorpus(f) {
		f.Add(pkt)
	}
	var hits atomic.Int64
	up := dnstest.NewServer(f, answerA(&hits))
	s := boot(f, upstreamYAML(up))
	addr := s.Addrs()[0]
	probe := new(dns.Msg).SetQuestion("localhost.", dns.TypeA)
	client := &dns.Client{Timeout: time.Second}
	baseline := runtime.NumGoroutine()
	f.Fuzz(func(t *testing.T, pkt []byte) {
		if len(pkt) > 65535 {
			return
		}
		rawAsk(t, addr, pkt, 20*time.Millisecond)
		if r, _, err := client.Exchange(probe, addr); err != nil || r.Rcode != dns.RcodeSuccess {
			t.Fatalf("the server stopped answering after %x: %v %v", pkt, r, err)
		}
		// Resumed queries wait at most the upstream deadline; anything
		// above a few hundred goroutines is a leak.
		if n := runtime.NumGoroutine(); n > baseline+500 {
			t.Fatalf("%d goroutines after %x, baseline %d", n, pkt, baseline)
		}
	})
}
