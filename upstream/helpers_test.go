package upstream

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/cleandns/cleandns/internal/dnstest"
)

// newTestForwarder builds a Forwarder with short timeouts, fresh metrics and
// fast probes, closed when the test ends. cfg fields left zero get
// test-friendly values rather than the production defaults.
func newTestForwarder(t *testing.T, cfg Config, zones []Zone, deps Deps) *Forwarder {
	t.Helper()
	if cfg.Timeout == 0 {
		cfg.Timeout = 500 * time.Millisecond
	}
	if cfg.Deadline == 0 {
		cfg.Deadline = 2 * time.Second
	}
	if deps.Metrics == nil {
		deps.Metrics = NewMetrics()
	}
	if deps.ProbeBase == 0 {
		deps.ProbeBase = 20 * time.Millisecond
	}
	f, err := NewForwarder(cfg, zones, deps)
	if err != nil {
		t.Fatalf("NewForwarder: %v", err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// query builds a client query for name/A with a fixed ID.
func query(name string) *dns.Msg {
	q := new(dns.Msg).SetQuestion(dns.Fqdn(name), dns.TypeA)
	q.Id = 4242
	return q
}

// mustExchange forwards name and fails the test unless an A answer with the
// caller's ID comes back; it returns the answer's address and upstream.
func mustExchange(t *testing.T, f *Forwarder, name string) (ip, from string) {
	t.Helper()
	q := query(name)
	r, from, err := f.Exchange(context.Background(), q)
	if err != nil {
		t.Fatalf("Exchange(%s): %v", name, err)
	}
	if r.Id != q.Id {
		t.Fatalf("reply ID %d, want the caller's %d", r.Id, q.Id)
	}
	if len(r.Answer) != 1 {
		t.Fatalf("Exchange(%s): %d answers, want 1: %v", name, len(r.Answer), r)
	}
	return r.Answer[0].(*dns.A).A.String(), from
}

// value reads a counter or gauge.
func value(t *testing.T, c prometheus.Metric) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	return m.Gauge.GetValue()
}

// waitFor polls cond every few milliseconds for up to 5 seconds; used only
// for background probing, whose timing is the thing under test.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// startHTTPS serves h over HTTPS with cert and returns its /dns-query URL.
func startHTTPS(t *testing.T, cert *dnstest.Cert, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.EnableHTTP2 = true
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert.Server}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL + "/dns-query"
}

// testPools returns upstream UDP sockets closed when the test ends.
func testPools(t *testing.T) *udpPools {
	t.Helper()
	ps := newUDPPools(time.Now)
	t.Cleanup(ps.close)
	return ps
}
