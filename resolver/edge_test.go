package resolver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"testing"

	"github.com/miekg/dns"
	"go.uber.org/zap"

	"github.com/cleandns/cleandns/internal/dnstest"
	"github.com/cleandns/cleandns/metrics"
	"github.com/cleandns/cleandns/query"
)

// serveEdge starts UDP and TCP listeners on one loopback port in front of h
// and returns the address.
func serveEdge(t *testing.T, h Handler) string {
	t.Helper()
	edge := NewEdge(EdgeConfig{}, h, metrics.NewUnregistered(), zap.NewNop())
	pc, l := dnstest.ListenPair(t)
	for _, s := range []*dns.Server{
		{PacketConn: pc, Handler: edge.For("udp"), MsgAcceptFunc: AcceptFunc},
		{Listener: l, Handler: edge.For("tcp"), MsgAcceptFunc: AcceptFunc},
	} {
		started := make(chan struct{})
		s.NotifyStartedFunc = func() { close(started) }
		go func() { _ = s.ActivateAndServe() }()
		<-started
		t.Cleanup(func() { _ = s.Shutdown() })
	}
	return pc.LocalAddr().String()
}

// bigAnswer answers every query with n A records.
func bigAnswer(n int) HandlerFunc {
	return func(_ context.Context, req *query.Request) (*query.Response, error) {
		m := new(dns.Msg)
		m.SetReply(req.Msg)
		m.AuthenticatedData = true
		for i := 0; i < n; i++ {
			rr, _ := dns.NewRR(fmt.Sprintf("%s 60 IN A 192.0.2.%d", req.Msg.Question[0].Name, i%250+1))
			m.Answer = append(m.Answer, rr)
		}
		return &query.Response{Msg: m, Result: query.Forwarded, Upstream: "fake"}, nil
	}
}

func exchange(t *testing.T, net, addr string, m *dns.Msg) *dns.Msg {
	t.Helper()
	c := &dns.Client{Net: net, UDPSize: 65535}
	r, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatalf("%s exchange: %v", net, err)
	}
	return r
}

func newQuery(name string, qtype uint16, edns int) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	if edns > 0 {
		m.SetEdns0(uint16(edns), false)
	}
	return m
}

func TestEdgeTruncation(t *testing.T) {
	addr := serveEdge(t, bigAnswer(100)) // ~1.6 kB uncompressed-ish
	tests := []struct {
		name    string
		net     string
		edns    int
		wantTC  bool
		maxSize int
	}{
		{"udp without EDNS fits 512", "udp", 0, true, 512},
		{"udp EDNS 1000", "udp", 1000, true, 1000},
		{"udp EDNS 4096 capped at 1232", "udp", 4096, true, 1232},
		{"udp EDNS below 512 treated as 512", "udp", 100, true, 512},
		{"tcp never truncated", "tcp", 0, false, 65535},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := exchange(t, tt.net, addr, newQuery("big.example.", dns.TypeA, tt.edns))
			if r.Truncated != tt.wantTC {
				t.Errorf("TC = %v, want %v", r.Truncated, tt.wantTC)
			}
			r.Compress = true // measure as sent: compressed
			if size := r.Len(); size > tt.maxSize {
				t.Errorf("answer is %d bytes, more than %d", size, tt.maxSize)
			}
			if tt.net == "tcp" && len(r.Answer) != 100 {
				t.Errorf("tcp answer has %d records, want 100", len(r.Answer))
			}
			if (r.IsEdns0() != nil) != (tt.edns > 0) {
				t.Errorf("OPT present = %v, query had EDNS = %v", r.IsEdns0() != nil, tt.edns > 0)
			}
		})
	}
}

func TestEdgeHeaderChecks(t *testing.T) {
	called := false
	addr := serveEdge(t, HandlerFunc(func(_ context.Context, req *query.Request) (*query.Response, error) {
		called = true
		return nil, errors.New("must not be reached")
	}))
	noQuestion := new(dns.Msg)
	noQuestion.Id = dns.Id()
	twoQuestions := newQuery("a.example.", dns.TypeA, 0)
	twoQuestions.Question = append(twoQuestions.Question, dns.Question{Name: "b.example.", Qtype: dns.TypeA, Qclass: dns.ClassINET})
	notify := newQuery("a.example.", dns.TypeSOA, 0)
	notify.Opcode = dns.OpcodeNotify
	update := newQuery("a.example.", dns.TypeSOA, 0)
	update.Opcode = dns.OpcodeUpdate
	badvers := newQuery("a.example.", dns.TypeA, 1232)
	badvers.IsEdns0().SetVersion(1)
	tests := []struct {
		name      string
		msg       *dns.Msg
		wantRcode int
		wantOPT   bool
	}{
		{"no question", noQuestion, dns.RcodeFormatError, false},
		{"two questions", twoQuestions, dns.RcodeFormatError, false},
		{"notify", notify, dns.RcodeNotImplemented, false},
		{"update", update, dns.RcodeNotImplemented, false},
		{"edns version 1", badvers, dns.RcodeBadVers, true},
		{"zone transfer", newQuery("example.com.", dns.TypeAXFR, 0), dns.RcodeRefused, false},
		{"incremental zone transfer", newQuery("example.com.", dns.TypeIXFR, 0), dns.RcodeRefused, false},
	}
	for _, tt := range tests {
		for _, network := range []string{"udp", "tcp"} {
			t.Run(tt.name+"/"+network, func(t *testing.T) {
				r := exchange(t, network, addr, tt.msg)
				if r.Rcode != tt.wantRcode {
					t.Errorf("rcode = %s, want %s", dns.RcodeToString[r.Rcode], dns.RcodeToString[tt.wantRcode])
				}
				if (r.IsEdns0() != nil) != tt.wantOPT {
					t.Errorf("OPT present = %v, want %v", r.IsEdns0() != nil, tt.wantOPT)
				}
				if r.Id != tt.msg.Id {
					t.Errorf("id = %d, want %d", r.Id, tt.msg.Id)
				}
			})
		}
	}
	if called {
		t.Error("a malformed query reached the pipeline")
	}
}

func TestEdgeErrorsBecomeServfail(t *testing.T) {
	tests := []struct {
		name string
		h    HandlerFunc
	}{
		{"error", func(context.Context, *query.Request) (*query.Response, error) {
			return nil, errors.New("upstream down")
		}},
		{"panic", func(context.Context, *query.Request) (*query.Response, error) { panic("boom") }},
		{"nil response", func(context.Context, *query.Request) (*query.Response, error) { return nil, nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := serveEdge(t, tt.h)
			r := exchange(t, "udp", addr, newQuery("x.example.", dns.TypeA, 1232))
			if r.Rcode != dns.RcodeServerFailure {
				t.Errorf("rcode = %s, want SERVFAIL", dns.RcodeToString[r.Rcode])
			}
			// The server survived: it still answers.
			if r := exchange(t, "tcp", addr, newQuery("y.example.", dns.TypeA, 0)); r.Rcode != dns.RcodeServerFailure {
				t.Errorf("second query rcode = %s", dns.RcodeToString[r.Rcode])
			}
		})
	}
}

func TestEdgeADAndEDE(t *testing.T) {
	var result atomic.Uint32
	result.Store(uint32(query.Local))
	addr := serveEdge(t, HandlerFunc(func(_ context.Context, req *query.Request) (*query.Response, error) {
		m := new(dns.Msg)
		m.SetReply(req.Msg)
		m.AuthenticatedData = true
		return &query.Response{Msg: m, Result: query.Result(result.Load()), EDE: &dns.EDNS0_EDE{InfoCode: query.EDEBlocked, ExtraText: "blocked by test"}}, nil
	}))
	q := newQuery("MiXeD.Example.", dns.TypeA, 1232)
	q.AuthenticatedData = true
	r := exchange(t, "udp", addr, q)
	if r.AuthenticatedData {
		t.Error("AD set on an answer cleandns made itself")
	}
	if r.Question[0].Name != "MiXeD.Example." {
		t.Errorf("question case not preserved: %s", r.Question[0].Name)
	}
	opt := r.IsEdns0()
	if opt == nil || len(opt.Option) != 1 {
		t.Fatalf("want one EDNS option, got %v", opt)
	}
	if ede, ok := opt.Option[0].(*dns.EDNS0_EDE); !ok || ede.InfoCode != query.EDEBlocked {
		t.Errorf("want EDE 15, got %v", opt.Option[0])
	}
	if !r.RecursionAvailable {
		t.Error("RA not set")
	}
	result.Store(uint32(query.Forwarded))
	if r := exchange(t, "udp", addr, q); !r.AuthenticatedData {
		t.Error("AD from upstream dropped on a forwarded answer")
	}
	// A client that asked with neither AD nor DO gets no AD (RFC 6840 5.7),
	// even when the answer (say, from the cache) has it.
	if r := exchange(t, "udp", addr, newQuery("plain.example.", dns.TypeA, 0)); r.AuthenticatedData {
		t.Error("AD set for a client that asked with neither AD nor DO")
	}
	if r := exchange(t, "udp", addr, newQuery("x.example.", dns.TypeA, 0)); r.IsEdns0() != nil {
		t.Error("OPT in the answer to a query without EDNS")
	}
}

func TestEdgeMalformedPacket(t *testing.T) {
	addr := serveEdge(t, bigAnswer(1))
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	good, _ := newQuery("ok.example.", dns.TypeA, 0).Pack()
	for _, junk := range [][]byte{{0}, good[:14], append(good[:12:12], 0xff, 0xff, 0xff), {0xde, 0xad, 0xbe, 0xef, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0}} {
		if _, err := conn.Write(junk); err != nil {
			t.Fatal(err)
		}
	}
	// Still serving.
	if r := exchange(t, "udp", addr, newQuery("ok.example.", dns.TypeA, 0)); len(r.Answer) != 1 {
		t.Errorf("after junk: %v", r)
	}
}
