package upstream

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/internal/dnstest"
)

func TestPlainKindsAnswer(t *testing.T) {
	addr := dnstest.NewServer(t, dnstest.A("192.0.2.1"))
	_, port, _ := net.SplitHostPort(addr)
	for _, server := range []string{addr, "udp://" + addr, "tcp://" + addr, "[::ffff:127.0.0.1]:" + port} {
		t.Run(server, func(t *testing.T) {
			f := newTestForwarder(t, Config{Servers: []string{server}}, nil, Deps{})
			ip, from := mustExchange(t, f, "example.com")
			if ip != "192.0.2.1" || from != server {
				t.Errorf("got %s from %s", ip, from)
			}
		})
	}
}

// TestUDPIgnoresMismatchedReplies checks the RFC 5452 read loop: datagrams
// with the wrong ID or question are skipped and the real answer is taken.
func TestUDPIgnoresMismatchedReplies(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(m *dns.Msg)
	}{
		{"wrong id", func(m *dns.Msg) { m.Id++ }},
		{"wrong name", func(m *dns.Msg) { m.Question[0].Name = "evil.example." }},
		{"wrong type", func(m *dns.Msg) { m.Question[0].Qtype = dns.TypeAAAA }},
		{"not a response", func(m *dns.Msg) { m.Response = false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := dnstest.NewServer(t, func(w dns.ResponseWriter, r *dns.Msg) {
				bad := dnstest.Reply(r, net.ParseIP("203.0.113.66"))
				tt.spoil(bad)
				_ = w.WriteMsg(bad)
				_, _ = w.Write([]byte("garbage"))
				_ = w.WriteMsg(dnstest.Reply(r, net.ParseIP("192.0.2.1")))
			})
			f := newTestForwarder(t, Config{Servers: []string{addr}}, nil, Deps{})
			if ip, _ := mustExchange(t, f, "example.com"); ip != "192.0.2.1" {
				t.Errorf("took %s, want the matching answer 192.0.2.1", ip)
			}
		})
	}
}

func TestUDPMatchesQuestionCaseInsensitively(t *testing.T) {
	addr := dnstest.NewServer(t, func(w dns.ResponseWriter, r *dns.Msg) {
		m := dnstest.Reply(r, net.ParseIP("192.0.2.1"))
		m.Question[0].Name = strings.ToUpper(m.Question[0].Name)
		_ = w.WriteMsg(m)
	})
	f := newTestForwarder(t, Config{Servers: []string{addr}}, nil, Deps{})
	mustExchange(t, f, "Example.COM")
}

func TestUDPIgnoresOtherSources(t *testing.T) {
	// The handler answers from a second socket first (a spoofer that knows
	// the ID and port), then properly.
	spoofer, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer spoofer.Close()
	addr := dnstest.NewServer(t, func(w dns.ResponseWriter, r *dns.Msg) {
		out, _ := dnstest.Reply(r, net.ParseIP("203.0.113.66")).Pack()
		_, _ = spoofer.WriteTo(out, w.RemoteAddr())
		time.Sleep(10 * time.Millisecond)
		_ = w.WriteMsg(dnstest.Reply(r, net.ParseIP("192.0.2.1")))
	})
	f := newTestForwarder(t, Config{Servers: []string{addr}}, nil, Deps{})
	if ip, _ := mustExchange(t, f, "example.com"); ip != "192.0.2.1" {
		t.Errorf("took %s from the wrong source", ip)
	}
}

func TestUDPTruncatedRetriesOverTCP(t *testing.T) {
	addr := dnstest.NewServer(t, dnstest.A("192.0.2.7"), dnstest.Truncate())
	f := newTestForwarder(t, Config{Servers: []string{addr}}, nil, Deps{})
	if ip, _ := mustExchange(t, f, "big.example"); ip != "192.0.2.7" {
		t.Errorf("got %s", ip)
	}
}

// TestMisbehavingUpstream checks the error and its reason label for each
// way a single upstream can fail a query.
func TestMisbehavingUpstream(t *testing.T) {
	tests := []struct {
		name    string
		opts    []dnstest.Option
		reason  string
		maxTime time.Duration
	}{
		{"drop", []dnstest.Option{dnstest.Drop()}, reasonTimeout, 700 * time.Millisecond},
		{"garbage", []dnstest.Option{dnstest.Garbage()}, reasonBadReply, 700 * time.Millisecond},
		{"refused", []dnstest.Option{dnstest.Rcode(dns.RcodeRefused)}, reasonRefused, 200 * time.Millisecond},
		{"slower than timeout", []dnstest.Option{dnstest.Delay(time.Second)}, reasonTimeout, 700 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := dnstest.NewServer(t, dnstest.A("192.0.2.1"), tt.opts...)
			m := NewMetrics()
			f := newTestForwarder(t, Config{Servers: []string{addr}, Timeout: 300 * time.Millisecond, Deadline: 300 * time.Millisecond}, nil, Deps{Metrics: m})
			start := time.Now()
			_, _, err := f.Exchange(context.Background(), query("example.com"))
			if err == nil {
				t.Fatal("want an error")
			}
			if d := time.Since(start); d > tt.maxTime {
				t.Errorf("failed after %v, want under %v", d, tt.maxTime)
			}
			if got := value(t, m.Errors.WithLabelValues(addr, tt.reason)); got != 1 {
				t.Errorf("errors{reason=%s} = %v, want 1 (err: %v)", tt.reason, got, err)
			}
		})
	}
}

func TestDelayWithinTimeoutAnswers(t *testing.T) {
	addr := dnstest.NewServer(t, dnstest.A("192.0.2.1"), dnstest.Delay(100*time.Millisecond))
	f := newTestForwarder(t, Config{Servers: []string{addr}}, nil, Deps{})
	mustExchange(t, f, "slow.example")
}

func TestServfailIsReturnedButNotAFailure(t *testing.T) {
	var n atomic.Int64
	addr := dnstest.NewServer(t, nil, dnstest.Rcode(dns.RcodeServerFailure), dnstest.Count(&n))
	m := NewMetrics()
	f := newTestForwarder(t, Config{Servers: []string{addr}, MaxFails: 1}, nil, Deps{Metrics: m})
	r, _, err := f.Exchange(context.Background(), query("broken.example"))
	if err != nil || r.Rcode != dns.RcodeServerFailure {
		t.Fatalf("got %v, %v; want the SERVFAIL reply", r, err)
	}
	if !f.Upstreams()[0].Healthy {
		t.Error("SERVFAIL marked the upstream down")
	}
	if got := value(t, m.Errors.WithLabelValues(addr, reasonServfail)); got != 1 {
		t.Errorf("errors{reason=servfail} = %v, want 1", got)
	}
}
