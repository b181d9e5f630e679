package resolver_test

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/miekg/dns"
	"go.uber.org/zap"

	"github.com/cleandns/cleandns/blocklist"
	"github.com/cleandns/cleandns/cache"
	"github.com/cleandns/cleandns/groups"
	"github.com/cleandns/cleandns/localrecords"
	"github.com/cleandns/cleandns/metrics"
	"github.com/cleandns/cleandns/policy"
	"github.com/cleandns/cleandns/query"
	"github.com/cleandns/cleandns/resolver"
)

// These tests run the group, local, block, response-filter and cache links
// behind a real edge, queried over UDP from distinct loopback addresses.

// suffixMatcher blocks the names under its domains.
type suffixMatcher struct {
	list    string
	domains []string
}

func (m *suffixMatcher) Match(name string) (blocklist.Rule, bool) {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	for _, d := range m.domains {
		if name == d || strings.HasSuffix(name, "."+d) {
			return blocklist.Rule{List: m.list, Domain: d, Text: d}, true
		}
	}
	return blocklist.Rule{}, false
}

type policies map[string]blocklist.Matcher

func (p policies) Matcher(name string) blocklist.Matcher { return p[name] }

// fakeUpstream answers every A query with 192.0.2.1, and cdn.example with a
// CNAME chain through tracker.tiktok.com; it counts what it is asked.
type fakeUpstream struct{ queries atomic.Int32 }

func (f *fakeUpstream) Resolve(_ context.Context, req *query.Request) (*query.Response, error) {
	f.queries.Add(1)
	m := new(dns.Msg)
	m.SetReply(req.Msg)
	rr := func(s string) dns.RR { r, _ := dns.NewRR(s); return r }
	if req.Name == "cdn.example." {
		m.Answer = append(m.Answer, rr("cdn.example. 300 IN CNAME tracker.tiktok.com."))
		m.Answer = append(m.Answer, rr("tracker.tiktok.com. 300 IN A 192.0.2.9"))
	} else {
		m.Answer = append(m.Answer, rr(req.Name+" 300 IN A 192.0.2.1"))
	}
	return &query.Response{Msg: m, Result: query.Forwarded, Upstream: "fake"}, nil
}

type env struct {
	addr     string
	upstream *fakeUpstream
}

// start wires the pipeline as the server does: kids are 127.0.0.2,
// adults 127.0.0.3; 127.0.0.4 is a trusted forwarder; kids block
// tiktok.com, default blocks ads.example, local names beat both.
func start(t *testing.T) env {
	t.Helper()
	lists := policies{
		query.DefaultGroup: &suffixMatcher{list: "default-list", domains: []string{"ads.example", "nas.lan"}},
		"kids":             &suffixMatcher{list: "kids-list", domains: []string{"tiktok.com"}},
		"adults":           &suffixMatcher{list: "adults-list", domains: []string{"casino.example"}},
	}
	g, err := groups.New([]groups.Group[string]{
		{Name: "kids", Clients: []string{"127.0.0.2", "10.60.0.0/24"}, MACs: []string{"aa:bb:cc:dd:ee:01"}},
		{Name: "adults", Clients: []string{"127.0.0.3", "10.70.0.0/24"}},
	}, groups.Identity{Trusted: []string{"127.0.0.4"}}, groups.Deps{Lists: lists.Matcher})
	if err != nil {
		t.Fatal(err)
	}
	local, err := localrecords.New(localrecords.Config{Records: []localrecords.Record{
		{Name: "nas.lan", Type: "A", Value: "192.168.1.10"},
		{Name: "tiktok.com", Type: "A", Value: "192.168.1.99"}, // an admin override beats the kids' list
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.NewUnregistered()
	var ccfg cache.Config
	ccfg.SetDefaults()
	c, err := cache.New(ccfg, m.Cache(), nil)
	if err != nil {
		t.Fatal(err)
	}
	mode, _ := resolver.ParseBlockMode(policy.BlockConfig{})
	block := resolver.NewBlockLink(g.Matcher, mode)
	up := &fakeUpstream{}
	h := resolver.Build(resolver.Parts{
		Group:          resolver.NewGroupLink(g.Select),
		Local:          resolver.NewLocalLink(local),
		Block:          block,
		ResponseFilter: resolver.NewResponseFilter(block, g.Matcher),
		Cache:          resolver.NewCacheLink(c, m, zap.NewNop()),
		Forward:        up,
	})
	edge := resolver.NewEdge(resolver.EdgeConfig{}, h, m, zap.NewNop())
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: edge.For("udp"), MsgAcceptFunc: resolver.AcceptFunc}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	return env{addr: pc.LocalAddr().String(), upstream: up}
}

// ask sends the query from the loopback address from.
func (e env) ask(t *testing.T, from string, m *dns.Msg) *dns.Msg {
	t.Helper()
	c := &dns.Client{Dialer: &net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP(from)}}}
	r, _, err := c.Exchange(m, e.addr)
	if err != nil {
		t.Fatalf("from %s: %v", from, err)
	}
	return r
}

func question(name string, qtype uint16, opts ...dns.EDNS0) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	if len(opts) > 0 {
		m.SetEdns0(1232, false)
		m.IsEdns0().Option = opts
	}
	return m
}

func TestGroupsOverSockets(t *testing.T) {
	e := start(t)
	const kids, adults, other, router = "127.0.0.2", "127.0.0.3", "127.0.0.5", "127.0.0.4"
	mac := &dns.EDNS0_LOCAL{Code: 65001, Data: []byte{0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x01}}
	ecsKids := &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: 24, Address: net.ParseIP("10.60.0.0").To4()}
	ecsAdults := &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: 24, Address: net.ParseIP("10.70.0.0").To4()}
	tests := []struct {
		name  string
		from  string
		q     *dns.Msg
		rcode int
		ans   string // the last answer record's data, when NOERROR
	}{
		{"kids: own list", kids, question("www.tiktok.com.", dns.TypeA), dns.RcodeNameError, ""},
		{"adults: not in their list", adults, question("www.tiktok.com.", dns.TypeA), dns.RcodeSuccess, "192.0.2.1"},
		{"adults: own list", adults, question("casino.example.", dns.TypeA), dns.RcodeNameError, ""},
		{"kids: not default's list", kids, question("ads.example.", dns.TypeA), dns.RcodeSuccess, "192.0.2.1"},
		{"unmatched: default list", other, question("ads.example.", dns.TypeA), dns.RcodeNameError, ""},
		{"cached CNAME: adults first, served", adults, question("cdn.example.", dns.TypeA), dns.RcodeSuccess, "192.0.2.9"},
		{"cached CNAME: kids block the target", kids, question("cdn.example.", dns.TypeA), dns.RcodeNameError, ""},
		{"cached CNAME: adults again", adults, question("cdn.example.", dns.TypeA), dns.RcodeSuccess, "192.0.2.9"},
		{"trusted forwarder ECS selects kids", router, question("www.tiktok.com.", dns.TypeA, ecsKids), dns.RcodeNameError, ""},
		{"trusted forwarder ECS selects adults", router, question("www.tiktok.com.", dns.TypeA, ecsAdults), dns.RcodeSuccess, "192.0.2.1"},
		{"trusted forwarder MAC selects kids", router, question("www.tiktok.com.", dns.TypeA, mac), dns.RcodeNameError, ""},
		{"untrusted client's ECS ignored", adults, question("www.tiktok.com.", dns.TypeA, ecsKids), dns.RcodeSuccess, "192.0.2.1"},
		{"untrusted client's MAC ignored", other, question("www.tiktok.com.", dns.TypeA, mac), dns.RcodeSuccess, "192.0.2.1"},
		{"local record", other, question("nas.lan.", dns.TypeA), dns.RcodeSuccess, "192.168.1.10"},
		{"local PTR", kids, question("10.1.168.192.in-addr.arpa.", dns.TypePTR), dns.RcodeSuccess, "nas.lan."},
		{"local record beats a block", kids, question("tiktok.com.", dns.TypeA), dns.RcodeSuccess, "192.168.1.99"},
		{"local name NODATA", other, question("nas.lan.", dns.TypeAAAA), dns.RcodeSuccess, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.ask(t, tt.from, tt.q)
			if r.Rcode != tt.rcode {
				t.Fatalf("rcode %s, want %s\n%v", dns.RcodeToString[r.Rcode], dns.RcodeToString[tt.rcode], r)
			}
			got := ""
			if n := len(r.Answer); n > 0 {
				f := strings.Fields(r.Answer[n-1].String())
				got = f[len(f)-1]
			}
			if got != tt.ans {
				t.Errorf("answer %q, want %q\n%v", got, tt.ans, r)
			}
			if tt.rcode == dns.RcodeSuccess && tt.ans == "" && (len(r.Ns) != 1 || r.Ns[0].Header().Rrtype != dns.TypeSOA) {
				t.Errorf("NODATA without an SOA in the authority section (RFC 2308)\n%v", r)
			}
		})
	}
	// Three names went upstream, once each (the cache served repeats to every
	// group); local names never did.
	if n := e.upstream.queries.Load(); n != 3 {
		t.Errorf("upstream queries = %d, want 3", n)
	}
}
