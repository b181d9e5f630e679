package resolver

import (
	"context"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/policy"
	"github.com/cleandns/cleandns/query"
)

func TestSpecialLink(t *testing.T) {
	covered := func(name string) bool { return name == "corp.local." || strings.HasSuffix(name, ".corp.local.") }
	link := NewSpecialLink(policy.DefaultBypassConfig(), covered)
	ip6Loopback := "1." + strings.Repeat("0.", 31) + "ip6.arpa."
	tests := []struct {
		name      string
		qtype     uint16
		wantRcode int    // -1: passed on to next
		wantRR    string // the answer's first record's data, or ""
		wantSOA   string // the authority SOA's owner, or ""
		wantEDE   bool
	}{
		{"localhost.", dns.TypeA, dns.RcodeSuccess, "127.0.0.1", "", false},
		{"localhost.", dns.TypeAAAA, dns.RcodeSuccess, "::1", "", false},
		{"localhost.", dns.TypeMX, dns.RcodeSuccess, "", "localhost.", false},
		{"app.localhost.", dns.TypeA, dns.RcodeSuccess, "127.0.0.1", "", false},
		{"foo.invalid.", dns.TypeA, dns.RcodeNameError, "", "invalid.", false},
		{"foo.test.", dns.TypeAAAA, dns.RcodeNameError, "", "test.", false},
		{"3g2upl4pq6kufc4m.onion.", dns.TypeA, dns.RcodeNameError, "", "onion.", false},
		{"printer.local.", dns.TypeA, dns.RcodeNameError, "", "local.", false},
		{"nas.home.arpa.", dns.TypeA, dns.RcodeNameError, "", "home.arpa.", false},
		{"_dns.resolver.arpa.", dns.TypeSVCB, dns.RcodeNameError, "", "resolver.arpa.", false},
		{"local.", dns.TypeSOA, dns.RcodeSuccess, "local.", "", false},
		{"local.", dns.TypeA, dns.RcodeSuccess, "", "local.", false},
		{"1.2.0.10.in-addr.arpa.", dns.TypePTR, dns.RcodeNameError, "", "10.in-addr.arpa.", false},
		{"1.0.16.172.in-addr.arpa.", dns.TypePTR, dns.RcodeNameError, "", "16.172.in-addr.arpa.", false},
		{"1.0.31.172.in-addr.arpa.", dns.TypePTR, dns.RcodeNameError, "", "31.172.in-addr.arpa.", false},
		{"1.1.168.192.in-addr.arpa.", dns.TypePTR, dns.RcodeNameError, "", "168.192.in-addr.arpa.", false},
		{"1.1.254.169.in-addr.arpa.", dns.TypePTR, dns.RcodeNameError, "", "254.169.in-addr.arpa.", false},
		{"1.0.64.100.in-addr.arpa.", dns.TypePTR, dns.RcodeNameError, "", "64.100.in-addr.arpa.", false},
		{"1.0.127.100.in-addr.arpa.", dns.TypePTR, dns.RcodeNameError, "", "127.100.in-addr.arpa.", false},
		{"1.0.0.127.in-addr.arpa.", dns.TypePTR, dns.RcodeSuccess, "localhost.", "", false},
		{"1.0.0.127.in-addr.arpa.", dns.TypeA, dns.RcodeSuccess, "", "127.in-addr.arpa.", false},
		{"2.0.0.127.in-addr.arpa.", dns.TypePTR, dns.RcodeNameError, "", "127.in-addr.arpa.", false},
		{ip6Loopback, dns.TypePTR, dns.RcodeSuccess, "localhost.", "", false},
		{"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa.", dns.TypePTR, dns.RcodeNameError, "", "d.f.ip6.arpa.", false},
		{"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.e.f.ip6.arpa.", dns.TypePTR, dns.RcodeNameError, "", "8.e.f.ip6.arpa.", false},
		{"b.e.f.ip6.arpa.", dns.TypeSOA, dns.RcodeSuccess, "b.e.f.ip6.arpa.", "", false},
		{"use-application-dns.net.", dns.TypeA, dns.RcodeNameError, "", "use-application-dns.net.", true},
		{"mask.icloud.com.", dns.TypeAAAA, dns.RcodeNameError, "", "mask.icloud.com.", true},
		{"mask-h2.icloud.com.", dns.TypeHTTPS, dns.RcodeNameError, "", "mask-h2.icloud.com.", true},
		// Deeper than any zone under their TLD: only the suffixes as deep as one are looked up.
		{"a.b.mask.icloud.com.", dns.TypeA, dns.RcodeNameError, "", "mask.icloud.com.", true},
		{"x.y.z.test.", dns.TypeA, dns.RcodeNameError, "", "test.", false},
		// Passed on: a covering forward zone, public names, look-alikes.
		{"dc1.corp.local.", dns.TypeA, -1, "", "", false},
		{"corp.local.", dns.TypeSOA, -1, "", "", false},
		{"example.com.", dns.TypeA, -1, "", "", false},
		{"icloud.com.", dns.TypeA, -1, "", "", false},
		{"www.tiktok.com.", dns.TypeA, -1, "", "", false},
		{"a.mask.icloud.co.", dns.TypeA, -1, "", "", false},
		{"notlocal.", dns.TypeA, -1, "", "", false},
		{"1.0.32.172.in-addr.arpa.", dns.TypePTR, -1, "", "", false},
		{"1.0.128.100.in-addr.arpa.", dns.TypePTR, -1, "", "", false},
		{"8.8.8.8.in-addr.arpa.", dns.TypePTR, -1, "", "", false},
		{".", dns.TypeNS, -1, "", "", false},
	}
	for _, tt := range tests {
		t.Run(dns.TypeToString[tt.qtype]+"/"+tt.name, func(t *testing.T) {
			next := &countingUpstream{}
			resp, err := link.Resolve(context.Background(), policyReq(tt.name, tt.qtype, "udp", "10.0.0.1"), next)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantRcode < 0 {
				if next.n.Load() != 1 || resp.Result != query.Forwarded {
					t.Errorf("not passed on: %v", resp.Msg)
				}
				return
			}
			if next.n.Load() != 0 || resp.Result != query.Local {
				t.Fatalf("result %v, next saw %v: want a local answer", resp.Result, next.seen())
			}
			m := resp.Msg
			if m.Rcode != tt.wantRcode {
				t.Errorf("rcode %s, want %s", dns.RcodeToString[m.Rcode], dns.RcodeToString[tt.wantRcode])
			}
			if got := firstRData(m.Answer); got != tt.wantRR {
				t.Errorf("answer %q, want %q", got, tt.wantRR)
			}
			soa := ""
			if len(m.Ns) == 1 {
				if s, ok := m.Ns[0].(*dns.SOA); ok {
					soa = s.Hdr.Name
				}
			}
			if soa != tt.wantSOA {
				t.Errorf("authority SOA owner %q, want %q", soa, tt.wantSOA)
			}
			if (resp.EDE != nil) != tt.wantEDE {
				t.Errorf("EDE %v, want one: %v", resp.EDE, tt.wantEDE)
			}
		})
	}
}

func firstRData(rrs []dns.RR) string {
	if len(rrs) == 0 {
		return ""
	}
	switch rr := rrs[0].(type) {
	case *dns.A:
		return rr.A.String()
	case *dns.AAAA:
		return rr.AAAA.String()
	case *dns.PTR:
		return rr.Ptr
	case *dns.SOA:
		return rr.Hdr.Name
	}
	return rrs[0].String()
}

func TestSpecialBypassSwitches(t *testing.T) {
	tests := []struct {
		cfg       policy.BypassConfig
		name      string
		wantLocal bool
	}{
		{policy.BypassConfig{}, "use-application-dns.net.", false},
		{policy.BypassConfig{}, "mask.icloud.com.", false},
		{policy.BypassConfig{FirefoxCanary: true}, "use-application-dns.net.", true},
		{policy.BypassConfig{FirefoxCanary: true}, "mask.icloud.com.", false},
		{policy.BypassConfig{PrivateRelay: true}, "use-application-dns.net.", false},
		{policy.BypassConfig{PrivateRelay: true}, "mask-h2.icloud.com.", true},
	}
	for _, tt := range tests {
		next := &countingUpstream{}
		resp, _ := NewSpecialLink(tt.cfg, nil).Resolve(context.Background(), policyReq(tt.name, dns.TypeA, "udp", "10.0.0.1"), next)
		if (resp.Result == query.Local) != tt.wantLocal {
			t.Errorf("%+v %s: result %v, want local %v", tt.cfg, tt.name, resp.Result, tt.wantLocal)
		}
	}
}

// TestSpecialOverSockets asks for every kind of special-use name through the
// edge, and checks the fake upstream saw only the covered corp.local name.
func TestSpecialOverSockets(t *testing.T) {
	next := &countingUpstream{}
	covered := func(name string) bool { return strings.HasSuffix(name, ".corp.local.") }
	addr := serveEdge(t, Build(Parts{Special: NewSpecialLink(policy.DefaultBypassConfig(), covered), Forward: next}))
	names := []string{
		"localhost.", "www.localhost.", "x.invalid.", "x.test.", "x.onion.", "printer.local.", "nas.home.arpa.",
		"_dns.resolver.arpa.", "5.1.168.192.in-addr.arpa.", "1.0.0.127.in-addr.arpa.", "9.9.0.10.in-addr.arpa.",
		"use-application-dns.net.", "mask.icloud.com.", "mask-h2.icloud.com.",
	}
	for _, name := range names {
		for _, network := range []string{"udp", "tcp"} {
			r := mustAskFrom(t, network, "127.0.0.2", addr, policyMsg(name, dns.TypeA, true))
			if r.Rcode == dns.RcodeServerFailure || len(r.Answer)+len(r.Ns) == 0 {
				t.Errorf("%s over %s: %v", name, network, r)
			}
		}
	}
	r := mustAskFrom(t, "udp", "127.0.0.2", addr, policyMsg("use-application-dns.net.", dns.TypeA, true))
	if r.Rcode != dns.RcodeNameError {
		t.Errorf("Firefox canary: %s, want NXDOMAIN", dns.RcodeToString[r.Rcode])
	}
	if e := edeOf(r); e == nil || e.InfoCode != query.EDEBlocked {
		t.Errorf("Firefox canary EDE %v", e)
	}
	if r := mustAskFrom(t, "udp", "127.0.0.2", addr, policyMsg("dc1.corp.local.", dns.TypeA, false)); len(r.Answer) != 1 {
		t.Errorf("covered corp.local name not forwarded: %v", r)
	}
	if seen := next.seen(); len(seen) != 1 || seen[0] != "dc1.corp.local." {
		t.Errorf("upstream saw %v, want only dc1.corp.local.", seen)
	}
}

func BenchmarkSpecialPassThrough(b *testing.B) {
	link := NewSpecialLink(policy.DefaultBypassConfig(), nil)
	req := policyReq("www.some.example.com.", dns.TypeA, "udp", "10.0.0.1")
	next := HandlerFunc(func(context.Context, *query.Request) (*query.Response, error) { return nil, nil })
	b.ReportAllocs()
	for b.Loop() {
		_, _ = link.Resolve(context.Background(), req, next)
	}
}

func TestTLD(t *testing.T) {
	for name, want := range map[string]string{
		"www.example.com.": "com.", "com.": "com.", ".": ".", "": "", "localhost.": "localhost.",
		"1.0.0.127.in-addr.arpa.": "arpa.",
	} {
		if got := tld(name); got != want {
			t.Errorf("tld(%q) = %q, want %q", name, got, want)
		}
	}
}
