package transport

import (
	"crypto/tls"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestStreamPipelining sends many queries on one connection before reading
// any answer: all come back (no per-connection cap, unlike miekg's default
// of 128), and a slow query does not hold up the fast ones behind it.
func TestStreamPipelining(t *testing.T) {
	// The slow queries wait until every fast answer has been read: answered
	// in order, the fast ones behind them would never come.
	gate := make(chan struct{})
	var open sync.Once
	release := func() { open.Do(func() { close(gate) }) }
	s, _ := startStream(t, echoGate(0, gate), StreamConfig{Protocol: "tcp", MaxInFlight: 20}, nil)
	t.Cleanup(release) // runs before the server's Shutdown, which waits for them
	c, err := dns.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const n = 1000
	slow := map[uint16]bool{}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("q%d.test", i)
		if i < 10 {
			name = "slow." + name
		}
		m := newQuery(name)
		m.Id = uint16(i)
		slow[m.Id] = i < 10
		if err := c.WriteMsg(m); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	seen := map[uint16]bool{}
	for i := 0; i < n; i++ {
		r, err := c.ReadMsg()
		if err != nil {
			t.Fatalf("after %d answers: %v", i, err)
		}
		if i < n-10 && slow[r.Id] {
			t.Errorf("slow answer %d came back as answer %d, before fast ones", r.Id, i)
		}
		seen[r.Id] = true
		if i == n-11 {
			release()
		}
	}
	if len(seen) != n {
		t.Errorf("%d distinct answers, want %d", len(seen), n)
	}
}

func TestStreamIdleTimeout(t *testing.T) {
	s, m := startStream(t, echo(300*time.Millisecond), StreamConfig{Protocol: "tcp", IdleTimeout: 200 * time.Millisecond}, nil)
	tests := []struct {
		name     string
		query    string // sent first, "" for none
		wantOpen time.Duration
	}{
		{"idle connection closes", "", 0},
		// A query outstanding past the idle timeout keeps the connection:
		// it is not idle until answered.
		{"outstanding query keeps it", "slow.x.test", 300 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := dns.Dial("tcp", s.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			start := time.Now()
			if tc.query != "" {
				if err := c.WriteMsg(newQuery(tc.query)); err != nil {
					t.Fatal(err)
				}
				if _, err := c.ReadMsg(); err != nil {
					t.Fatalf("answer: %v", err)
				}
			}
			_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
			_, err = c.ReadMsg()
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("still open after 3s")
			}
			if took := time.Since(start); took < tc.wantOpen+150*time.Millisecond {
				t.Errorf("closed after %v, want at least %v", took, tc.wantOpen+200*time.Millisecond)
			}
		})
	}
	if v := testutil.ToFloat64(m.Open.WithLabelValues("tcp")); v > 1 {
		t.Errorf("open connections %v after the clients closed", v)
	}
}

func TestStreamConnectionCap(t *testing.T) {
	s, m := startStream(t, echo(0), StreamConfig{Protocol: "tcp", MaxConnections: 2}, nil)
	var held []*dns.Conn
	for i := 0; i < 2; i++ {
		c, err := dns.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.WriteMsg(newQuery("a.test")); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ReadMsg(); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		held = append(held, c)
	}
	c, err := dns.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.WriteMsg(newQuery("a.test"))
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.ReadMsg(); err == nil {
		t.Error("third connection answered over a cap of 2")
	}
	if v := testutil.ToFloat64(m.Rejected.WithLabelValues("tcp", "limit")); v != 1 {
		t.Errorf("rejected{limit} = %v, want 1", v)
	}
	held[0].Close()
	// The slot comes back once the server sees the close.
	deadline := time.Now().Add(2 * time.Second)
	for {
		c, err := dns.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		_ = c.WriteMsg(newQuery("a.test"))
		_ = c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		_, err = c.ReadMsg()
		c.Close()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no slot after a connection closed")
		}
	}
}

// TestStreamIgnoresResponses: a message with QR set gets nothing back, the
// connection stays usable.
func TestStreamIgnoresResponses(t *testing.T) {
	s, _ := startStream(t, echo(0), StreamConfig{Protocol: "tcp"}, nil)
	c, err := dns.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	resp := newQuery("r.test")
	resp.Response, resp.Id = true, 1
	q := newQuery("q.test")
	q.Id = 2
	for _, m := range []*dns.Msg{resp, q} {
		if err := c.WriteMsg(m); err != nil {
			t.Fatal(err)
		}
	}
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	r, err := c.ReadMsg()
	if err != nil {
		t.Fatal(err)
	}
	if r.Id != 2 {
		t.Errorf("answer to id %d, want only the query's (2)", r.Id)
	}
}

func TestDoTClientIDAndALPN(t *testing.T) {
	certFile, keyFile, pool := writeCert(t, t.TempDir())
	certs, err := LoadCerts(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := startStream(t, echo(0), StreamConfig{Protocol: "dot", ClientID: SNIClientID("dns.test")}, TLSConfig(certs, "dot"))
	tests := []struct{ sni, wantID string }{
		{"dns.test", ""},
		{"annas-phone.dns.test", "annas-phone"},
		{"Kids-Tablet.dns.test", "kids-tablet"},
		{"a.b.dns.test", ""},
	}
	for _, tc := range tests {
		t.Run(tc.sni, func(t *testing.T) {
			c := &dns.Client{Net: "tcp-tls", TLSConfig: &tls.Config{ServerName: tc.sni, RootCAs: pool, NextProtos: []string{"dot"}}}
			conn, err := c.Dial(s.Addr().String())
			if tc.sni == "a.b.dns.test" {
				// The wildcard covers one label only: the handshake fails.
				if err == nil {
					conn.Close()
					t.Fatal("handshake for a.b.dns.test succeeded")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if p := conn.Conn.(*tls.Conn).ConnectionState().NegotiatedProtocol; p != "dot" {
				t.Errorf("ALPN %q, want dot", p)
			}
			r, _, err := c.ExchangeWithConn(newQuery("x.test"), conn)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := txtOf(t, r), "client=127.0.0.1 id="+tc.wantID; got != want {
				t.Errorf("%q, want %q", got, want)
			}
		})
	}
}
