package upstream

import (
	"context"
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/internal/dnstest"
	"github.com/cleandns/cleandns/internal/fakeclock"
)

func TestDoTAnswersAndReusesOneConnection(t *testing.T) {
	cert := dnstest.NewCert(t, "dns.test")
	srv := dnstest.NewDoTServer(t, cert, dnstest.A("192.0.2.8"))
	f := newTestForwarder(t, Config{Servers: []string{"tls://" + srv.Addr + "#dns.test"}}, nil,
		Deps{TLSConfig: cert.ClientConfig()})
	if ip, _ := mustExchange(t, f, "example.com"); ip != "192.0.2.8" {
		t.Fatalf("got %s", ip)
	}
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { mustExchange(t, f, "example.com") })
	}
	wg.Wait()
	if n := srv.Accepted.Load(); n != 1 {
		t.Errorf("51 queries used %d connections, want 1", n)
	}
}

func TestDoTCAFile(t *testing.T) {
	cert := dnstest.NewCert(t, "127.0.0.1")
	srv := dnstest.NewDoTServer(t, cert, dnstest.A("192.0.2.8"))
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, cert.PEM, 0o600); err != nil {
		t.Fatal(err)
	}
	f := newTestForwarder(t, Config{Servers: []string{"tls://" + srv.Addr}, CAFile: caFile}, nil, Deps{})
	mustExchange(t, f, "example.com")
}

func TestDoTRejectsBadCertificates(t *testing.T) {
	cert := dnstest.NewCert(t, "dns.test")
	other := dnstest.NewCert(t, "dns.test")
	srv := dnstest.NewDoTServer(t, cert, dnstest.A("192.0.2.8"))
	tests := []struct {
		name   string
		server string
		trust  *tls.Config
	}{
		{"untrusted", "tls://" + srv.Addr + "#dns.test", other.ClientConfig()},
		{"wrong name", "tls://" + srv.Addr + "#evil.test", cert.ClientConfig()},
		{"ip not in cert", "tls://" + srv.Addr, cert.ClientConfig()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMetrics()
			f := newTestForwarder(t, Config{Servers: []string{tt.server}}, nil, Deps{TLSConfig: tt.trust, Metrics: m})
			if _, _, err := f.Exchange(context.Background(), query("example.com")); err == nil {
				t.Fatal("want a TLS error")
			}
			if got := value(t, m.Errors.WithLabelValues(tt.server, reasonTLS)); got != 1 {
				t.Errorf("errors{reason=tls} = %v, want 1", got)
			}
		})
	}
}

// rawDoT starts a TLS listener whose connections are handled by serve, for
// behaviour dns.Server cannot be asked for. It returns the address and the
// count of accepted connections (read after the test's queries).
func rawDoT(t *testing.T, cert *dnstest.Cert, serve func(conn net.Conn, n int)) string {
	t.Helper()
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert.Server}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for n := 1; ; n++ {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				serve(c, n)
			}()
		}
	}()
	return l.Addr().String()
}

// TestDoTMatchesRepliesByID: a server answering pipelined queries in
// reverse order must still give each query its own answer.
func TestDoTMatchesRepliesByID(t *testing.T) {
	cert := dnstest.NewCert(t, "dns.test")
	addr := rawDoT(t, cert, func(c net.Conn, _ int) {
		fr := newFrameReader(c)
		var qs []*dns.Msg
		for range 2 {
			q, err := fr.read()
			if err != nil {
				return
			}
			qs = append(qs, q)
		}
		for i := len(qs) - 1; i >= 0; i-- {
			ip := net.ParseIP("192.0.2.1")
			if qs[i].Question[0].Name == "b.example." {
				ip = net.ParseIP("192.0.2.2")
			}
			_ = writeMsg(c, dnstest.Reply(qs[i], ip))
		}
	})
	f := newTestForwarder(t, Config{Servers: []string{"tls://" + addr + "#dns.test"}}, nil,
		Deps{TLSConfig: cert.ClientConfig()})
	got := make([]string, 2)
	var wg sync.WaitGroup
	for i, name := range []string{"a.example", "b.example"} {
		wg.Go(func() { got[i], _ = mustExchange(t, f, name) })
	}
	wg.Wait()
	if got[0] != "192.0.2.1" || got[1] != "192.0.2.2" {
		t.Errorf("answers crossed: a=%s b=%s", got[0], got[1])
	}
}

// TestDoTRetriesWhenIdleConnectionClosed: the server answers the first
// query of each connection and closes on the second without answering, as
// a server timing out an idle connection does while our query is on the
// wire. The client must retry once on a new connection, unnoticed.
func TestDoTRetriesWhenIdleConnectionClosed(t *testing.T) {
	cert := dnstest.NewCert(t, "dns.test")
	var mu sync.Mutex
	conns := 0
	addr := rawDoT(t, cert, func(c net.Conn, _ int) {
		mu.Lock()
		conns++
		mu.Unlock()
		fr := newFrameReader(c)
		q, err := fr.read()
		if err != nil {
			return
		}
		_ = writeMsg(c, dnstest.Reply(q, net.ParseIP("192.0.2.9")))
		_, _ = fr.read() // then close
	})
	f := newTestForwarder(t, Config{Servers: []string{"tls://" + addr + "#dns.test"}}, nil,
		Deps{TLSConfig: cert.ClientConfig()})
	for range 3 {
		mustExchange(t, f, "example.com")
	}
	mu.Lock()
	defer mu.Unlock()
	if conns != 3 {
		t.Errorf("%d connections, want 3 (one per query, each retry on a fresh one)", conns)
	}
	if !f.Upstreams()[0].Healthy {
		t.Error("idle close counted against the upstream")
	}
}

// TestDoTFollowsHostNameAfterTTL: a DoT upstream named by host name is
// resolved through bootstrap; once the address's TTL has passed, the next
// query re-resolves and moves to a new connection.
func TestDoTFollowsHostNameAfterTTL(t *testing.T) {
	cert := dnstest.NewCert(t, "dns.test")
	srv := dnstest.NewDoTServer(t, cert, dnstest.A("192.0.2.8"))
	var lookups atomic.Int64
	boot := dnstest.NewServer(t, func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg).SetReply(r)
		if r.Question[0].Qtype == dns.TypeA {
			rr, _ := dns.NewRR("dns.test. 30 IN A 127.0.0.1")
			m.Answer = append(m.Answer, rr)
		}
		_ = w.WriteMsg(m)
	}, dnstest.Count(&lookups))
	_, port, _ := net.SplitHostPort(srv.Addr)
	clock := fakeclock.New(time.Unix(1e9, 0))
	f := newTestForwarder(t, Config{Servers: []string{"tls://dns.test:" + port}, Bootstrap: []string{boot}}, nil,
		Deps{TLSConfig: cert.ClientConfig(), Now: clock.Now})
	for range 3 {
		mustExchange(t, f, "example.com")
	}
	if srv.Accepted.Load() != 1 || lookups.Load() != 2 {
		t.Fatalf("within TTL: %d connections, %d lookups; want 1 and 2 (A, AAAA)", srv.Accepted.Load(), lookups.Load())
	}
	clock.Advance(31 * time.Second)
	mustExchange(t, f, "example.com")
	if srv.Accepted.Load() != 2 || lookups.Load() != 4 {
		t.Errorf("after TTL: %d connections, %d lookups; want 2 and 4", srv.Accepted.Load(), lookups.Load())
	}
}
