package server

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/internal/dnstest"
)

// TestInlineStress runs cache hits, stale answers, prefetches, blocked names,
// CNAME chains into blocked names, truncated answers and escaped names
// through the real UDP loop from many sockets at once, with the query log
// on, and checks every answer is the one for its own query.
func TestInlineStress(t *testing.T) {
	var flakyAnswered sync.Map
	up := dnstest.NewServer(t, func(w dns.ResponseWriter, r *dns.Msg) {
		name := strings.ToLower(r.Question[0].Name)
		if strings.HasPrefix(name, "flaky") {
			if _, seen := flakyAnswered.LoadOrStore(name, true); seen {
				m := new(dns.Msg)
				m.SetRcode(r, dns.RcodeServerFailure)
				_ = w.WriteMsg(m)
				return
			}
		}
		corpusAnswer(w, r)
	})
	s := boot(t, upstreamYAML(up)+"cache: {max_ttl: 1s, stale_recheck: 1s, prefetch: true, prefetch_min_hits: 1}\nquerylog:\n  enabled: true\n")
	addr := s.Addrs()[0]
	type q struct {
		name  string
		rcode int
		edns  bool
	}
	qs := []q{
		{"www.example.", dns.RcodeSuccess, true},
		{"www.example.", dns.RcodeSuccess, false},
		{"www.tiktok.com.", dns.RcodeNameError, true},
		{"a.alias.example.", dns.RcodeNameError, true},
		{"b.alias.example.", dns.RcodeNameError, false},
		{"big.example.", dns.RcodeSuccess, false}, // truncated
		{"big.example.", dns.RcodeSuccess, true},
		{"flaky1.example.", dns.RcodeSuccess, true},
		{"flaky2.example.", dns.RcodeSuccess, false},
		{`we\.ird.example.`, dns.RcodeSuccess, true},
		{`v\.x.tiktok.com.`, dns.RcodeNameError, true},
		{"nx.example.", dns.RcodeNameError, true},
	}
	var bad atomic.Int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(4 * time.Second)
	for c := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("udp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			buf := make([]byte, 65535)
			for iter := 0; time.Now().Before(deadline); iter++ {
				sent := map[uint16]q{}
				for i := range 16 {
					x := qs[(iter+i+c)%len(qs)]
					m := new(dns.Msg).SetQuestion(x.name, dns.TypeA)
					if x.edns {
						m.SetEdns0(1232, false)
					}
					m.Id = uint16(c<<12 | (iter&0xF)<<8 | i)
					b, _ := m.Pack()
					sent[m.Id] = x
					_, _ = conn.Write(b)
				}
				_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
				for len(sent) > 0 {
					n, err := conn.Read(buf)
					if err != nil {
						t.Errorf("client %d: %d answers missing: %v", c, len(sent), err)
						return
					}
					var r dns.Msg
					if err := r.Unpack(buf[:n]); err != nil {
						t.Errorf("client %d: unpack: %v", c, err)
						bad.Add(1)
						continue
					}
					x, ok := sent[r.Id]
					if !ok {
						t.Errorf("client %d: answer to an unknown or repeated id %d", c, r.Id)
						bad.Add(1)
						continue
					}
					delete(sent, r.Id)
					if len(r.Question) != 1 || r.Question[0].Name != x.name || r.Rcode != x.rcode {
						t.Errorf("client %d: %s got %v", c, x.name, fmt.Sprint(r.Question, " ", dns.RcodeToString[r.Rcode]))
						bad.Add(1)
					}
					if x.edns != (r.IsEdns0() != nil) {
						t.Errorf("client %d: %s EDNS mismatch", c, x.name)
					}
					for _, rr := range r.Answer {
						if a, ok := rr.(*dns.A); ok && !strings.EqualFold(a.Hdr.Name, x.name) && !strings.Contains(x.name, "alias") {
							t.Errorf("client %d: %s answered with %s", c, x.name, a.Hdr.Name)
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("stale served %v, prefetches %v", scrape(t, s, "cleandns_cache_stale_served_total"), scrape(t, s, "cleandns_cache_prefetches_total"))
	if bad.Load() > 0 {
		t.Fatalf("%d bad answers", bad.Load())
	}
}
