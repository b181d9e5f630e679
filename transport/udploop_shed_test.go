package transport

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// gatedHandler resumes every query and answers none until gate closes.
type gatedHandler struct {
	fakeHandler
	gate    chan struct{}
	entered chan struct{}
}

func (g gatedHandler) ServeInline(r *dns.Msg, client netip.Addr, lane int, received time.Time, buf []byte, send func([]byte) error) func(dns.ResponseWriter) {
	resume := g.fakeHandler.ServeInline(r, client, lane, received, buf, send)
	if resume == nil {
		return nil
	}
	return func(w dns.ResponseWriter) {
		g.entered <- struct{}{}
		<-g.gate
		resume(w)
	}
}

// TestUDPLoopShedsPastMaxResumed checks the cap on resumed queries: with
// the cap's worth waiting, the next queries are answered at once, SERVFAIL
// with an Extended DNS Error when they carried EDNS, and the waiting ones
// are still answered once they can be.
func TestUDPLoopShedsPastMaxResumed(t *testing.T) {
	const limit = 8
	h := gatedHandler{gate: make(chan struct{}), entered: make(chan struct{}, 100)}
	l, err := ListenDNS("127.0.0.1:0", h, DNSOptions{UDP: UDPConfig{Loops: 1}}) // the cap is per socket
	if err != nil {
		t.Fatal(err)
	}
	l.(*dnsListener).loops[0].maxResumed = limit
	serveDNS(t, l)
	conn, err := net.Dial("udp", l.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	send := func(id uint16, edns bool) {
		m := new(dns.Msg).SetQuestion("a.example.", dns.TypeTXT)
		m.Id = id
		if edns {
			m.SetEdns0(1232, false)
		}
		b, _ := m.Pack()
		if _, err := conn.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	for i := range limit {
		send(uint16(i), false)
		<-h.entered
	}
	read := func() *dns.Msg {
		t.Helper()
		buf := make([]byte, 4096)
		_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("no answer: %v", err)
		}
		m := new(dns.Msg)
		if err := m.Unpack(buf[:n]); err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, tt := range []struct {
		name string
		edns bool
	}{{"with EDNS", true}, {"without", false}} {
		t.Run(tt.name, func(t *testing.T) {
			send(100, tt.edns)
			m := read()
			if m.Id != 100 || m.Rcode != dns.RcodeServerFailure {
				t.Fatalf("got id %d %s, want 100 SERVFAIL", m.Id, dns.RcodeToString[m.Rcode])
			}
			var ede *dns.EDNS0_EDE
			if o := m.IsEdns0(); o != nil {
				for _, opt := range o.Option {
					ede, _ = opt.(*dns.EDNS0_EDE)
				}
			}
			if (ede != nil) != tt.edns {
				t.Errorf("EDE %v, want one only with EDNS", ede)
			}
		})
	}
	close(h.gate)
	for range limit {
		if m := read(); m.Rcode != dns.RcodeSuccess {
			t.Errorf("a waiting query got %s", dns.RcodeToString[m.Rcode])
		}
	}
}
