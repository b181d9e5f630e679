package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// writeCert writes a self-signed pair for dns.test into dir and returns the
// file names and a pool that trusts it.
func writeCert(t testing.TB, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	c, k, err := SelfSigned([]string{"dns.test", "127.0.0.1"}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(certFile, c, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, k, 0o600); err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AppendCertsFromPEM(c)
	return certFile, keyFile, pool
}

// echo answers every query with an A record (TTL 300) and a TXT record
// saying who asked: "client=ADDR id=ID". Names under slow. wait first.
func echo(slow time.Duration) dns.HandlerFunc {
	return echoGate(slow, nil)
}

// echoGate is echo whose slow names also wait for gate to close.
func echoGate(slow time.Duration, gate <-chan struct{}) dns.HandlerFunc {
	return func(w dns.ResponseWriter, r *dns.Msg) {
		if strings.HasPrefix(r.Question[0].Name, "slow.") {
			time.Sleep(slow)
			if gate != nil {
				<-gate
			}
		}
		if strings.HasPrefix(r.Question[0].Name, "drop.") {
			return
		}
		m := new(dns.Msg)
		m.SetReply(r)
		id := ""
		if iw, ok := w.(Identified); ok {
			id = iw.ClientID()
		}
		host, _, _ := net.SplitHostPort(w.RemoteAddr().String())
		a, _ := dns.NewRR(r.Question[0].Name + " 300 IN A 192.0.2.1")
		txt, _ := dns.NewRR(r.Question[0].Name + ` 60 IN TXT "client=` + host + ` id=` + id + `"`)
		m.Answer = []dns.RR{a, txt}
		_ = w.WriteMsg(m)
	}
}

func txtOf(t *testing.T, m *dns.Msg) string {
	t.Helper()
	for _, rr := range m.Answer {
		if txt, ok := rr.(*dns.TXT); ok {
			return strings.Join(txt.Txt, "")
		}
	}
	t.Fatalf("no TXT in %v", m)
	return ""
}

func newMetrics(t testing.TB) *Metrics {
	t.Helper()
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// startStream serves h over TCP on 127.0.0.1:0, over TLS when tlsConf is set.
func startStream(t *testing.T, h dns.Handler, cfg StreamConfig, tlsConf *tls.Config) (*StreamServer, *Metrics) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if tlsConf != nil {
		ln = tls.NewListener(ln, tlsConf)
	}
	m := newMetrics(t)
	s := NewStreamServer(ln, h, cfg, m, zap.NewNop())
	serveTest(t, s.Serve, s.Shutdown)
	return s, m
}

// serveTest runs serve until the test ends, then shuts it down.
func serveTest(t testing.TB, serve func() error, shutdown func(context.Context) error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
}

// serveDNS serves l until the test ends, then shuts it down, leaving the
// shutdown's outcome alone: tests that hold queries in a handler end with
// them still in flight.
func serveDNS(t testing.TB, l Listener) {
	l.Serve(make(chan error, 4))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = l.Shutdown(ctx)
	})
}

func newQuery(name string) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeA)
	return m
}
