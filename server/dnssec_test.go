package server

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/api"
	"github.com/cleandns/cleandns/internal/signedtest"
	"github.com/cleandns/cleandns/querylog"
)

// dnssecYAML validates against the test root's key, forwarding to named.
func dnssecYAML(env *signedtest.Env) string {
	return fmt.Sprintf("upstreams:\n  servers: [%s]\n  timeout: 1s\n  deadline: 3s\nblocking:\n  lists: [builtin:clean-apps]\n"+
		"dnssec:\n  validate: true\n  trust_anchors: %s\n", env.Addr, env.AnchorFile)
}

// askDNSSEC sends name/qtype with DO set (and CD when cd) and returns the reply.
func askDNSSEC(t *testing.T, network, addr, name string, qtype uint16, cd bool) *dns.Msg {
	t.Helper()
	q := new(dns.Msg).SetQuestion(name, qtype)
	q.CheckingDisabled = cd
	q.SetEdns0(1232, true)
	c := &dns.Client{Net: network, Timeout: 5 * time.Second}
	r, _, err := c.Exchange(q, addr)
	if err != nil {
		t.Fatalf("%s %s: %v", network, name, err)
	}
	return r
}

func edeOf(m *dns.Msg) int {
	if o := m.IsEdns0(); o != nil {
		for _, opt := range o.Option {
			if e, ok := opt.(*dns.EDNS0_EDE); ok {
				return int(e.InfoCode)
			}
		}
	}
	return -1
}

// TestDNSSECValidation runs issue #21's scenarios through the real wiring
// over UDP and TCP: zones BIND signed, named serving them, cleandns
// validating with the test root as its only trust anchor.
func TestDNSSECValidation(t *testing.T) {
	env := signedtest.Start(t)
	s, admin := adminClient(t, dnssecYAML(env))
	addr := s.Addrs()[0]
	for _, network := range []string{"udp", "tcp"} {
		for _, c := range signedtest.Cases {
			t.Run(network+"/"+c.Name, func(t *testing.T) {
				for pass := range 2 { // the second is a cache hit
					r := askDNSSEC(t, network, addr, c.QName, c.QType, false)
					if r.Rcode != c.Rcode || r.AuthenticatedData != c.AD {
						t.Errorf("pass %d: %s AD=%v, want %s AD=%v", pass, dns.RcodeToString[r.Rcode], r.AuthenticatedData, dns.RcodeToString[c.Rcode], c.AD)
					}
					// EDEs ride on validated answers: a cached insecure one
					// (UDP asked first) keeps none; bogus ones are never cached.
					if got := edeOf(r); pass == 0 && (network == "udp" || c.Rcode == dns.RcodeServerFailure) && got != c.EDE {
						t.Errorf("EDE %d, want %d", got, c.EDE)
					}
				}
			})
		}
	}
	t.Run("client CD gets the bogus answer unvalidated", func(t *testing.T) {
		r := askDNSSEC(t, "udp", addr, "www.badsig.tld.", dns.TypeA, true)
		if r.Rcode != dns.RcodeSuccess || r.AuthenticatedData || len(r.Answer) == 0 {
			t.Errorf("CD: %s AD=%v answers=%d, want NOERROR without AD, with the answer", dns.RcodeToString[r.Rcode], r.AuthenticatedData, len(r.Answer))
		}
	})
	t.Run("AD without DO: AD, no RRSIGs", func(t *testing.T) {
		q := new(dns.Msg).SetQuestion("www.secure.tld.", dns.TypeA)
		q.AuthenticatedData = true
		r, _, err := (&dns.Client{Timeout: 5 * time.Second}).Exchange(q, addr)
		if err != nil {
			t.Fatal(err)
		}
		if !r.AuthenticatedData || len(r.Answer) != 1 {
			t.Errorf("AD=%v answer %v, want AD and the A record alone", r.AuthenticatedData, r.Answer)
		}
	})
	t.Run("blocked names never get AD", func(t *testing.T) {
		r := askDNSSEC(t, "udp", addr, "tiktok.com.", dns.TypeA, false)
		if r.Rcode != dns.RcodeNameError || r.AuthenticatedData {
			t.Errorf("blocked: %s AD=%v", dns.RcodeToString[r.Rcode], r.AuthenticatedData)
		}
	})
	t.Run("dig", func(t *testing.T) {
		if _, err := exec.LookPath("dig"); err != nil {
			signedtest.Need(t, "dig")
		}
		host, port, _ := strings.Cut(addr, ":")
		out, err := exec.Command("dig", "+dnssec", "+time=3", "+tries=1", "-p", port, "@"+host, "www.secure.tld.", "A").CombinedOutput()
		if err != nil {
			t.Fatalf("dig: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), " ad; QUERY") || !strings.Contains(string(out), "RRSIG") {
			t.Errorf("dig shows no AD or no RRSIG:\n%s", out)
		}
	})
	t.Run("the query log says why", func(t *testing.T) {
		ctx := context.Background()
		var recs []querylog.Record
		eventually(t, func() bool {
			_ = s.qlog.Flush(ctx)
			var err error
			recs, err = admin.QueryLog(ctx, api.QueryLogParams{Name: "expired.tld", Since: "1h"})
			return err == nil && len(recs) > 0
		})
		if len(recs) == 0 || !strings.Contains(recs[0].Reason, "dnssec bogus") || !strings.Contains(recs[0].Reason, "expired") {
			t.Errorf("query log = %+v", recs)
		}
	})
	t.Run("negative trust anchor through the API", func(t *testing.T) {
		ctx := context.Background()
		if err := admin.AddNegativeAnchor(ctx, "badsig.tld"); err != nil {
			t.Fatal(err)
		}
		if got, err := admin.NegativeAnchors(ctx); err != nil || len(got) != 1 || got[0] != "badsig.tld." {
			t.Fatalf("list = %v, %v", got, err)
		}
		r := askDNSSEC(t, "udp", addr, "www.badsig.tld.", dns.TypeA, false)
		if r.Rcode != dns.RcodeSuccess || r.AuthenticatedData {
			t.Errorf("under the anchor: %s AD=%v, want NOERROR without AD", dns.RcodeToString[r.Rcode], r.AuthenticatedData)
		}
		if err := admin.RemoveNegativeAnchor(ctx, "badsig.tld"); err != nil {
			t.Fatal(err)
		}
		if r := askDNSSEC(t, "udp", addr, "www.badsig.tld.", dns.TypeA, false); r.Rcode != dns.RcodeServerFailure {
			t.Errorf("anchor removed: %s, want SERVFAIL", dns.RcodeToString[r.Rcode])
		}
	})
	if n := dnssecAnswers(t, s, "bogus"); n < 8 { // 4 cases, UDP and TCP, never cached
		t.Errorf("bogus answers counted: %v, want at least 8", n)
	}
	if n := dnssecAnswers(t, s, "secure"); n < 9 {
		t.Errorf("secure answers counted: %v, want at least 9", n)
	}
}

// dnssecAnswers reads cleandns_dnssec_answers_total for one state.
func dnssecAnswers(t *testing.T, s *Server, state string) float64 {
	t.Helper()
	mfs, err := s.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "cleandns_dnssec_answers_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() == state {
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatal("cleandns_dnssec_answers_total not exported")
	return 0
}

// unboundDiffers are the scenarios where Unbound's verdict is not
// cleandns's, and why (docs/dnssec.md).
var unboundDiffers = map[string]string{
	"DS for an unsupported algorithm": "Unbound 1.17 validates ED448; miekg/dns cannot, so cleandns treats the zone as unsigned (RFC 4035 §5.2)",
}

// TestDNSSECMatchesUnbound asks cleandns and Unbound, both validating
// forwarders to the same named with the same trust anchor, every scenario,
// and checks they agree on rcode and AD. It logs the comparison table of
// docs/dnssec.md.
func TestDNSSECMatchesUnbound(t *testing.T) {
	env := signedtest.Start(t)
	ours := boot(t, dnssecYAML(env)).Addrs()[0]
	theirs := signedtest.StartUnbound(t, env)
	show := func(m *dns.Msg) string {
		s := dns.RcodeToString[m.Rcode]
		if m.AuthenticatedData {
			s += " AD"
		}
		if e := edeOf(m); e >= 0 {
			s += fmt.Sprintf(" EDE %d", e)
		}
		return s
	}
	table := "| scenario | query | cleandns | Unbound |\n|---|---|---|---|\n"
	for _, c := range signedtest.Cases {
		a := askDNSSEC(t, "udp", ours, c.QName, c.QType, false)
		b := askDNSSEC(t, "udp", theirs, c.QName, c.QType, false)
		table += fmt.Sprintf("| %s | `%s %s` | %s | %s |\n", c.Name, c.QName, dns.TypeToString[c.QType], show(a), show(b))
		agree := a.Rcode == b.Rcode && a.AuthenticatedData == b.AuthenticatedData
		if why, known := unboundDiffers[c.Name]; known {
			if agree {
				t.Errorf("%s: now agrees with Unbound; drop the known difference (%s)", c.Name, why)
			}
			continue
		}
		if !agree {
			t.Errorf("%s: cleandns %s, Unbound %s", c.Name, show(a), show(b))
		}
	}
	t.Logf("comparison:\n%s", table)
}
