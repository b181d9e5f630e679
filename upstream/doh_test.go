package upstream

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/internal/dnstest"
	"github.com/cleandns/cleandns/internal/fakeclock"
)

func TestDoHAnswersOverHTTP2WithIDZero(t *testing.T) {
	cert := dnstest.NewCert(t, "127.0.0.1")
	srv := dnstest.NewDoHServer(t, cert, dnstest.A("192.0.2.10"))
	f := newTestForwarder(t, Config{Servers: []string{srv.Addr}}, nil, Deps{TLSConfig: cert.ClientConfig()})
	ip, from := mustExchange(t, f, "example.com") // checks the caller's ID is restored
	if ip != "192.0.2.10" || from != srv.Addr {
		t.Fatalf("got %s from %s", ip, from)
	}
	if id := <-srv.IDs; id != 0 {
		t.Errorf("ID on the wire %d, want 0 (RFC 8484 4.1)", id)
	}
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { mustExchange(t, f, "example.com") })
	}
	wg.Wait()
	if n := srv.Accepted.Load(); n != 1 {
		t.Errorf("51 queries used %d connections, want 1", n)
	}
	if n := srv.HTTP2.Load(); n != 51 {
		t.Errorf("%d of 51 requests over HTTP/2", n)
	}
}

func TestDoHErrors(t *testing.T) {
	cert := dnstest.NewCert(t, "127.0.0.1")
	tests := []struct {
		name    string
		handler http.HandlerFunc
		reason  string
	}{
		{"status 500", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "boom", 500) }, reasonHTTP},
		{"html", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html>"))
		}, reasonHTTP},
		{"garbage", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", dnsMessageType)
			_, _ = w.Write([]byte("xx"))
		}, reasonBadReply},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := startHTTPS(t, cert, tt.handler)
			m := NewMetrics()
			f := newTestForwarder(t, Config{Servers: []string{url}}, nil, Deps{TLSConfig: cert.ClientConfig(), Metrics: m})
			if _, _, err := f.Exchange(context.Background(), query("example.com")); err == nil {
				t.Fatal("want an error")
			}
			if got := value(t, m.Errors.WithLabelValues(url, tt.reason)); got != 1 {
				t.Errorf("errors{reason=%s} = %v, want 1", tt.reason, got)
			}
		})
	}
}

func TestDoHHostNameThroughBootstrap(t *testing.T) {
	cert := dnstest.NewCert(t, "dns.test")
	srv := dnstest.NewDoHServer(t, cert, dnstest.A("192.0.2.11"))
	boot := dnstest.NewServer(t, func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg).SetReply(r)
		if r.Question[0].Name == "dns.test." && r.Question[0].Qtype == dns.TypeA {
			rr, _ := dns.NewRR("dns.test. 60 IN A 127.0.0.1")
			m.Answer = append(m.Answer, rr)
		}
		_ = w.WriteMsg(m)
	})
	url := strings.Replace(srv.Addr, "127.0.0.1", "dns.test", 1)
	clock := fakeclock.New(time.Unix(1e9, 0))
	f := newTestForwarder(t, Config{Servers: []string{url}, Bootstrap: []string{boot}}, nil,
		Deps{TLSConfig: cert.ClientConfig(), Now: clock.Now})
	for range 3 {
		if ip, _ := mustExchange(t, f, "example.com"); ip != "192.0.2.11" {
			t.Errorf("got %s", ip)
		}
	}
	if n := srv.Accepted.Load(); n != 1 {
		t.Errorf("within TTL: %d connections, want 1", n)
	}
	clock.Advance(61 * time.Second) // past the bootstrap TTL: re-resolve, reconnect
	mustExchange(t, f, "example.com")
	if n := srv.Accepted.Load(); n != 2 {
		t.Errorf("after TTL: %d connections, want 2", n)
	}
}
