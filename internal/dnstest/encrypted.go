package dnstest

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/miekg/dns"
)

// TLSServer is a running DNS-over-TLS or DNS-over-HTTPS fake.
type TLSServer struct {
	Addr     string       // host:port (DoT) or the full URL ending in /dns-query (DoH)
	Accepted atomic.Int64 // TCP connections accepted, to check that clients reuse them
	HTTP2    atomic.Int64 // DoH requests that arrived over HTTP/2
	IDs      chan uint16  // DoH: the message ID of each query (buffered 1000; dropped when full)
}

// NewDoTServer starts a DNS-over-TLS server (RFC 7858) on loopback that
// presents cert and serves h; it stops when the test ends.
func NewDoTServer(t testing.TB, cert *Cert, h dns.HandlerFunc) *TLSServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("dnstest: listen: %v", err)
	}
	s := &TLSServer{Addr: l.Addr().String()}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert.Server}, MinVersion: tls.VersionTLS12}
	tl := tls.NewListener(&countingListener{Listener: l, n: &s.Accepted}, cfg)
	Serve(t, &dns.Server{Listener: tl, Net: "tcp-tls", Handler: h})
	return s
}

// NewDoHServer starts a DNS-over-HTTPS server (RFC 8484, POST only) with
// HTTP/2 on loopback that presents cert and serves h at /dns-query; it stops
// when the test ends.
func NewDoHServer(t testing.TB, cert *Cert, h dns.HandlerFunc) *TLSServer {
	t.Helper()
	s := &TLSServer{IDs: make(chan uint16, 1000)}
	srv := httptest.NewUnstartedServer(s.dohHandler(h))
	srv.EnableHTTP2 = true
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert.Server}, MinVersion: tls.VersionTLS12}
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.Accepted.Add(1)
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	s.Addr = srv.URL + "/dns-query"
	return s
}

func (s *TLSServer) dohHandler(h dns.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor == 2 {
			s.HTTP2.Add(1)
		}
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/dns-message" {
			http.Error(w, "want POST application/dns-message", http.StatusBadRequest)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 65535))
		q := new(dns.Msg)
		if err == nil {
			err = q.Unpack(body)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case s.IDs <- q.Id:
		default:
		}
		rw := &captureWriter{}
		h(rw, q)
		if rw.msg == nil {
			http.Error(w, "no answer", http.StatusBadGateway)
			return
		}
		out, err := rw.msg.Pack()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/dns-message")
		_, _ = w.Write(out)
	})
}

// captureWriter is the dns.ResponseWriter a DoH request is served through:
// it keeps the message the handler writes.
type captureWriter struct{ msg *dns.Msg }

func (c *captureWriter) LocalAddr() net.Addr  { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }
func (c *captureWriter) RemoteAddr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }
func (c *captureWriter) WriteMsg(m *dns.Msg) error {
	c.msg = m
	return nil
}
func (c *captureWriter) Write(b []byte) (int, error) {
	m := new(dns.Msg)
	if err := m.Unpack(b); err != nil {
		return 0, err
	}
	c.msg = m
	return len(b), nil
}
func (c *captureWriter) Close() error        { return nil }
func (c *captureWriter) TsigStatus() error   { return nil }
func (c *captureWriter) TsigTimersOnly(bool) {}
func (c *captureWriter) Hijack()             {}

type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}
