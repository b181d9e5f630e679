package resolver

import (
	"context"
	"testing"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/dnssec"
	"github.com/cleandns/cleandns/query"
)

type fixedVerdict dnssec.Verdict

func (f fixedVerdict) Validate(context.Context, *dns.Msg) dnssec.Verdict { return dnssec.Verdict(f) }

// signedNext answers like a validating-forwarder's upstream: the record,
// its RRSIG, and what the query asked of DO and CD echoed in seen.
type signedNext struct{ seen *dns.Msg }

func (n *signedNext) Resolve(_ context.Context, req *query.Request) (*query.Response, error) {
	n.seen = req.Msg
	m := new(dns.Msg).SetReply(req.Msg)
	a, _ := dns.NewRR("www.example. 300 IN A 192.0.2.1")
	sig, _ := dns.NewRR("www.example. 300 IN RRSIG A 13 2 300 20300101000000 20200101000000 1 example. AAAA")
	m.Answer = []dns.RR{a, sig}
	m.AuthenticatedData = true // what an upstream's claim is worth: nothing
	return &query.Response{Msg: m, Result: query.Forwarded, Upstream: "test"}, nil
}

func TestValidateLink(t *testing.T) {
	for _, tc := range []struct {
		name      string
		verdict   dnssec.Verdict
		do, cd    bool
		rcode     int
		ad        bool
		answers   int
		ede       int
		validated bool
	}{
		{"secure, DO", dnssec.Verdict{State: dnssec.Secure, EDE: dnssec.NoEDE}, true, false, dns.RcodeSuccess, true, 2, -1, true},
		{"secure, no DO: RRSIG stripped", dnssec.Verdict{State: dnssec.Secure, EDE: dnssec.NoEDE}, false, false, dns.RcodeSuccess, true, 1, -1, true},
		{"insecure: upstream AD dropped", dnssec.Verdict{State: dnssec.Insecure, EDE: dnssec.NoEDE}, true, false, dns.RcodeSuccess, false, 2, -1, true},
		{"insecure, unsupported algorithm", dnssec.Verdict{State: dnssec.Insecure, EDE: 1, Reason: "ed448"}, true, false, dns.RcodeSuccess, false, 2, 1, true},
		{"bogus", dnssec.Verdict{State: dnssec.Bogus, EDE: 7, Reason: "expired"}, true, false, dns.RcodeServerFailure, false, 0, 7, true},
		{"client CD: not judged, no AD", dnssec.Verdict{State: dnssec.Bogus, EDE: 7}, true, true, dns.RcodeSuccess, false, 2, -1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var states []dnssec.State
			l := NewValidateLink(fixedVerdict(tc.verdict), func(s dnssec.State) { states = append(states, s) })
			q := new(dns.Msg).SetQuestion("www.example.", dns.TypeA)
			q.CheckingDisabled = tc.cd
			if tc.do {
				q.SetEdns0(1232, true)
			}
			next := &signedNext{}
			resp, err := l.Resolve(context.Background(), &query.Request{Msg: q, Name: "www.example.", Type: dns.TypeA}, next)
			if err != nil {
				t.Fatal(err)
			}
			if o := next.seen.IsEdns0(); !next.seen.CheckingDisabled || o == nil || !o.Do() {
				t.Errorf("upstream query without DO and CD: %v", next.seen)
			}
			if o := q.IsEdns0(); !tc.do && o != nil || q.CheckingDisabled != tc.cd {
				t.Error("the client's query was modified")
			}
			m := resp.Msg
			if m.Rcode != tc.rcode || m.AuthenticatedData != tc.ad || len(m.Answer) != tc.answers {
				t.Errorf("%s AD=%v answers=%d, want %s AD=%v answers=%d", dns.RcodeToString[m.Rcode], m.AuthenticatedData, len(m.Answer), dns.RcodeToString[tc.rcode], tc.ad, tc.answers)
			}
			gotEDE := -1
			if resp.EDE != nil {
				gotEDE = int(resp.EDE.InfoCode)
			}
			if gotEDE != tc.ede {
				t.Errorf("EDE %d, want %d", gotEDE, tc.ede)
			}
			if (len(states) == 1) != tc.validated {
				t.Errorf("observed %v, validated=%v", states, tc.validated)
			}
		})
	}
}
