package transport

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestUDPLoopsShareThePort: with two loops an address has two sockets on
// one port, and queries from many sources (which the kernel spreads over
// them by source address and port) are all answered, each loop passing
// its own lane (the query log's shard) with its queries.
func TestUDPLoopsShareThePort(t *testing.T) {
	if !reusePortWorks {
		t.Skip("SO_REUSEPORT spreading is Linux only")
	}
	var lanes sync.Map
	l, err := ListenDNS("127.0.0.1:0", fakeHandler{inline: true, lanes: &lanes}, DNSOptions{UDP: UDPConfig{Loops: 2}})
	if err != nil {
		t.Fatal(err)
	}
	l.Serve(make(chan error, 4))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := l.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	dl := l.(*dnsListener)
	if len(dl.pcs) != 2 || len(dl.loops) != 2 {
		t.Fatalf("%d sockets, %d loops; want 2 and 2", len(dl.pcs), len(dl.loops))
	}
	if a, b := dl.pcs[0].LocalAddr().String(), dl.pcs[1].LocalAddr().String(); a != b {
		t.Fatalf("sockets on %s and %s, want one port", a, b)
	}
	c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
	for i := 0; i < 64; i++ {
		conn, err := net.Dial("udp", l.Addr()) // a new source port each time
		if err != nil {
			t.Fatal(err)
		}
		r, _, err := c.ExchangeWithConn(new(dns.Msg).SetQuestion("a.example.", dns.TypeA), &dns.Conn{Conn: conn})
		conn.Close()
		if err != nil || len(r.Answer) != 1 {
			t.Fatalf("query %d: %v %v", i, r, err)
		}
	}
	for lane := range 2 {
		if _, ok := lanes.Load(lane); !ok {
			t.Errorf("no query came with lane %d: the loops do not number themselves", lane)
		}
	}
}
