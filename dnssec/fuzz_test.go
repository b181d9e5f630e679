package dnssec

import (
	"context"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// FuzzValidate feeds the validator arbitrary replies, and answers each of
// its own DS and DNSKEY queries with the same bytes: whatever an upstream
// sends, validation ends (no panic, no lookup waiting on itself) with a
// verdict.
func FuzzValidate(f *testing.F) {
	for _, seed := range fuzzSeeds() {
		f.Add(seed)
	}
	anchors := RootAnchors()
	f.Fuzz(func(t *testing.T, wire []byte) {
		reply := new(dns.Msg)
		if err := reply.Unpack(wire); err != nil {
			return
		}
		exchange := func(_ context.Context, q *dns.Msg) (*dns.Msg, error) {
			m := new(dns.Msg)
			if err := m.Unpack(wire); err != nil {
				return nil, err
			}
			m.Question = q.Question
			return m, nil
		}
		v, err := New(Deps{Exchange: exchange, Anchors: anchors})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan Verdict, 1)
		go func() { done <- v.Validate(context.Background(), reply) }()
		select {
		case got := <-done:
			if got.State > Bogus {
				t.Fatalf("state %d", got.State)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("validation did not end")
		}
	})
}

func fuzzSeeds() [][]byte {
	var out [][]byte
	for _, text := range [][]string{
		{"www.example. 300 IN A 192.0.2.1", "www.example. 300 IN RRSIG A 13 2 300 20300101000000 20200101000000 1 example. AAAA"},
		{"a.example. 300 IN CNAME b.example.", "b.example. 300 IN A 192.0.2.1"},
		{"example. 300 IN DS 1 13 2 AB", "example. 300 IN RRSIG DS 8 1 300 20300101000000 20200101000000 20326 . AAAA"},
	} {
		m := new(dns.Msg).SetQuestion("www.example.", dns.TypeA)
		for _, s := range text {
			rr, err := dns.NewRR(s)
			if err != nil {
				panic(err)
			}
			m.Answer = append(m.Answer, rr)
		}
		soa, _ := dns.NewRR("example. 300 IN SOA ns. h. 1 2 3 4 5")
		nsec, _ := dns.NewRR("example. 300 IN NSEC z.example. A NS SOA")
		m.Ns = append(m.Ns, soa, nsec)
		wire, err := m.Pack()
		if err != nil {
			panic(err)
		}
		out = append(out, wire)
	}
	return out
}
