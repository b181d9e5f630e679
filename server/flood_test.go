package server

import (
	"fmt"
	"math/rand/v2"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/internal/dnstest"
)

// TestFloodOfDeadNames floods the real server from one client with names
// whose upstream never answers, while another client asks for names that
// resolve, and checks what issue #15 items 6 and 7 require: the goroutines
// and heap stay bounded, the other client is still answered, and every
// query the server sheds gets SERVFAIL with an Extended DNS Error rather
// than silence. The full-length floods are bench/flood.sh.
func TestFloodOfDeadNames(t *testing.T) {
	if testing.Short() {
		t.Skip("a flood of a few seconds")
	}
	tests := []struct {
		name   string
		flood  func(i int) string
		victim float64 // minimum share of the other client's names answered
	}{
		{"same name", func(int) string { return "never.dead.example." }, 0.95},
		{"random subdomains", func(i int) string { return fmt.Sprintf("r%d-%d.dead.example.", i, rand.Uint32()) }, 0.95},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := dnstest.NewServer(t, func(w dns.ResponseWriter, r *dns.Msg) {
				if strings.HasSuffix(strings.ToLower(r.Question[0].Name), ".dead.example.") {
					return // never answers
				}
				_ = w.WriteMsg(dnstest.Reply(r, net.ParseIP("192.0.2.1")))
			})
			s := boot(t, fmt.Sprintf("upstreams:\n  servers: [%s]\n  timeout: 2s\n  deadline: 2s\n", up))
			addr := s.Addrs()[0]
			runtime.GC()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			baseG := runtime.NumGoroutine()

			stop := make(chan struct{})
			var wg sync.WaitGroup
			var fl floodStats
			wg.Go(func() { flood(t, addr, tt.flood, 3000, stop, &fl) })
			var maxG atomic.Int64
			var maxHeap atomic.Uint64
			wg.Go(func() { watch(stop, &maxG, &maxHeap) })
			time.Sleep(500 * time.Millisecond) // the flood fills what it can first
			asked, answered := victim(t, addr, 3*time.Second)
			close(stop)
			wg.Wait()

			t.Logf("flood: sent %d, answered %d, SERVFAIL with EDE %d; other client %d/%d; goroutines %d (base %d), heap +%d MB",
				fl.sent.Load(), fl.answered.Load(), fl.ede.Load(), answered, asked, maxG.Load(), baseG,
				(int64(maxHeap.Load())-int64(before.HeapInuse))>>20)
			if got := float64(answered) / float64(asked); got < tt.victim {
				t.Errorf("the other client got %d of %d names answered (%.0f%%), want at least %.0f%%", answered, asked, 100*got, 100*tt.victim)
			}
			// One flight of followers and one client's waiting queries
			// (1,000 each by default) with room for the server's own.
			if g := maxG.Load(); g > int64(baseG)+2500 {
				t.Errorf("%d goroutines during the flood (%d before): not bounded", g, baseG)
			}
			if grew := int64(maxHeap.Load()) - int64(before.HeapInuse); grew > 64<<20 {
				t.Errorf("heap grew by %d MB during the flood", grew>>20)
			}
			if fl.ede.Load() == 0 {
				t.Error("no flood query was answered SERVFAIL with an Extended DNS Error: shed silently")
			}
		})
	}
}

type floodStats struct{ sent, answered, ede atomic.Int64 }

// flood sends name(i) at rate per second from 127.0.0.1 until stop, reading
// and counting the answers.
func flood(t *testing.T, addr string, name func(int) string, rate int, stop <-chan struct{}, st *floodStats) {
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Error(err)
		return
	}
	defer conn.Close()
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			var m dns.Msg
			if m.Unpack(buf[:n]) != nil {
				continue
			}
			st.answered.Add(1)
			if o := m.IsEdns0(); m.Rcode == dns.RcodeServerFailure && o != nil {
				for _, opt := range o.Option {
					if _, ok := opt.(*dns.EDNS0_EDE); ok {
						st.ede.Add(1)
					}
				}
			}
		}
	}()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		for range rate / 100 {
			m := new(dns.Msg).SetQuestion(name(i), dns.TypeA)
			m.SetEdns0(1232, false)
			m.Id = uint16(i)
			b, _ := m.Pack()
			if _, err := conn.Write(b); err == nil {
				st.sent.Add(1)
			}
			i++
		}
	}
}

// victim asks, from 127.0.0.2, one new resolvable name every 20 ms for d
// and returns how many it asked and how many were answered.
func victim(t *testing.T, addr string, d time.Duration) (asked, answered int) {
	c := &dns.Client{Net: "udp", Timeout: 2 * time.Second,
		Dialer: &net.Dialer{LocalAddr: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)}}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for end, i := time.Now().Add(d), 0; time.Now().Before(end); i++ {
		asked++
		wg.Go(func() {
			q := new(dns.Msg).SetQuestion(fmt.Sprintf("v%d.good.example.", i), dns.TypeA)
			r, _, err := c.Exchange(q, addr)
			if err == nil && r.Rcode == dns.RcodeSuccess && len(r.Answer) == 1 {
				mu.Lock()
				answered++
				mu.Unlock()
			}
		})
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	return asked, answered
}

// watch records the most goroutines and heap in use until stop.
func watch(stop <-chan struct{}, maxG *atomic.Int64, maxHeap *atomic.Uint64) {
	for {
		select {
		case <-stop:
			return
		case <-time.After(50 * time.Millisecond):
		}
		if g := int64(runtime.NumGoroutine()); g > maxG.Load() {
			maxG.Store(g)
		}
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		if m.HeapInuse > maxHeap.Load() {
			maxHeap.Store(m.HeapInuse)
		}
	}
}
