package resolver

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/query"
)

// countingUpstream stands for the rest of the chain: it answers A queries
// with 192.0.2.1, other types with NODATA, and records every name it sees.
type countingUpstream struct {
	n     atomic.Int64
	mu    sync.Mutex
	names []string
}

func (u *countingUpstream) Resolve(_ context.Context, req *query.Request) (*query.Response, error) {
	u.n.Add(1)
	u.mu.Lock()
	u.names = append(u.names, req.Name)
	u.mu.Unlock()
	m := new(dns.Msg)
	m.SetReply(req.Msg)
	if req.Type == dns.TypeA {
		rr, _ := dns.NewRR(req.Msg.Question[0].Name + " 300 IN A 192.0.2.1")
		m.Answer = append(m.Answer, rr)
	}
	return &query.Response{Msg: m, Result: query.Forwarded, Upstream: "fake"}, nil
}

func (u *countingUpstream) seen() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.names...)
}

// policyReq is a request as the edge would build it.
func policyReq(name string, qtype uint16, protocol, client string) *query.Request {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.SetEdns0(1232, false)
	return &query.Request{
		Msg: m, Client: netip.MustParseAddr(client), Protocol: protocol,
		Name: dns.Fqdn(name), Type: qtype, Group: query.DefaultGroup, Start: time.Unix(0, 0),
	}
}

func policyMsg(name string, qtype uint16, edns bool) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	if edns {
		m.SetEdns0(1232, false)
	}
	return m
}

// askFrom sends m from the loopback address from, so that tests can be
// several clients at once (127.0.0.2, 127.0.0.3, ...).
func askFrom(t *testing.T, network, from, addr string, m *dns.Msg) (*dns.Msg, error) {
	t.Helper()
	ip := net.ParseIP(from)
	var local net.Addr = &net.UDPAddr{IP: ip}
	if network == "tcp" {
		local = &net.TCPAddr{IP: ip}
	}
	c := &dns.Client{Net: network, Timeout: 2 * time.Second, Dialer: &net.Dialer{LocalAddr: local, Timeout: 2 * time.Second}}
	r, _, err := c.Exchange(m, addr)
	return r, err
}

func mustAskFrom(t *testing.T, network, from, addr string, m *dns.Msg) *dns.Msg {
	t.Helper()
	r, err := askFrom(t, network, from, addr, m)
	if err != nil {
		t.Fatalf("%s from %s: %v", network, from, err)
	}
	return r
}

// edeOf returns the Extended DNS Error of an answer, or nil.
func edeOf(m *dns.Msg) *dns.EDNS0_EDE {
	if o := m.IsEdns0(); o != nil {
		for _, opt := range o.Option {
			if e, ok := opt.(*dns.EDNS0_EDE); ok {
				return e
			}
		}
	}
	return nil
}

// recorder is a dns.ResponseWriter with a chosen client address, for
// sources a loopback socket cannot produce (IPv4-mapped IPv6).
type recorder struct {
	remote net.Addr
	msg    *dns.Msg
}

func (r *recorder) LocalAddr() net.Addr         { return &net.UDPAddr{IP: net.IPv6loopback, Port: 53} }
func (r *recorder) RemoteAddr() net.Addr        { return r.remote }
func (r *recorder) WriteMsg(m *dns.Msg) error   { r.msg = m; return nil }
func (r *recorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *recorder) Close() error                { return nil }
func (r *recorder) TsigStatus() error           { return nil }
func (r *recorder) TsigTimersOnly(bool)         {}
func (r *recorder) Hijack()                     {}
