package server

import (
	"errors"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/internal/dnstest"
)

// bigTXT answers every query with about 37 KB of TXT records.
func bigTXT(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	if r.Question[0].Qtype == dns.TypeTXT {
		chunk := strings.Repeat("x", 250)
		for range 150 {
			m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: r.Question[0].Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 300}, Txt: []string{chunk}})
		}
	}
	_ = w.WriteMsg(m)
}

// dialSmallWindow connects with a 4 KB receive buffer, set before the
// handshake so the window stays small.
func dialSmallWindow(t *testing.T, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestNeverReadingTCPClientsAreDropped is issue 15 item 8: clients that send
// queries over TCP and never read the answers must not pin the kernel's
// send buffers (megabytes each) and a goroutine for ever. The server's
// send buffer is capped, and a write that cannot finish within the write
// timeout resets the connection, which drops what is queued. Each client
// then finds at most a few hundred KB to read before the reset.
func TestNeverReadingTCPClientsAreDropped(t *testing.T) {
	up := dnstest.NewServer(t, bigTXT)
	s := boot(t, upstreamYAML(up))
	addr := s.Addrs()[0]
	if r := ask(t, "tcp", addr, "big.example.", dns.TypeTXT, false); len(r.Answer) != 150 {
		t.Fatalf("big answer has %d records", len(r.Answer))
	}
	baseline := runtime.NumGoroutine()
	q := new(dns.Msg).SetQuestion("big.example.", dns.TypeTXT)
	wire, err := q.Pack()
	if err != nil {
		t.Fatal(err)
	}
	frame := append([]byte{byte(len(wire) >> 8), byte(len(wire))}, wire...)
	// 7 MB of answers each: more than the socket buffers. bench/stucktcp.sh
	// runs it with 200 clients.
	clients, queries := 10, 200
	if n, err := strconv.Atoi(os.Getenv("STUCK_CLIENTS")); err == nil && n > 0 {
		clients = n
	}
	conns := make([]net.Conn, clients)
	for i := range conns {
		c := dialSmallWindow(t, addr)
		conns[i] = c
		go func() {
			for range queries {
				_ = c.SetWriteDeadline(time.Now().Add(time.Second))
				if _, err := c.Write(frame); err != nil {
					return // the server stopped reading or closed: fine
				}
			}
		}()
	}
	// The write timeout is 5 s.
	time.Sleep(7 * time.Second)
	const maxQueued = 512 << 10
	var total, most int64
	for i, c := range conns {
		var n int64
		buf := make([]byte, 64<<10)
		_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
		for {
			k, err := c.Read(buf)
			n += int64(k)
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					t.Errorf("client %d: connection still open 10 s after it stopped reading", i)
				}
				break
			}
		}
		if n > maxQueued {
			t.Errorf("client %d: %d KB were still queued for it: the server's buffers stayed pinned", i, n>>10)
		}
		total, most = total+n, max(most, n)
	}
	t.Logf("%d never-reading clients: %d KB queued in all after the write timeout, %d KB at most for one", clients, total>>10, most>>10)
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > baseline+2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > baseline+2 {
		t.Errorf("%d goroutines after the clients were dropped, baseline %d", n, baseline)
	}
	if v := gauge(t, s, "cleandns_connections_open", "protocol", "tcp"); v != 0 {
		t.Errorf("cleandns_connections_open{protocol=tcp} = %v after the clients were dropped", v)
	}
}

// gauge reads the gauge name{label=value} from the server's registry.
func gauge(t *testing.T, s *Server, name, label, value string) float64 {
	t.Helper()
	mfs, err := s.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label && lp.GetValue() == value {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	t.Errorf("%s{%s=%q} not exported", name, label, value)
	return -1
}
