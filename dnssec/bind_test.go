package dnssec

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/cleandns/cleandns/internal/signedtest"
	"github.com/miekg/dns"
)

// TestBINDSignedZones validates answers from zones BIND signed and serves,
// the scenarios of issue #21, against the test root's key only.
func TestBINDSignedZones(t *testing.T) {
	env := signedtest.Start(t)
	anchors, err := LoadAnchors(env.AnchorFile)
	if err != nil {
		t.Fatal(err)
	}
	var queries int
	client := &dns.Client{Net: "tcp", Timeout: 2 * time.Second}
	exchange := func(ctx context.Context, q *dns.Msg) (*dns.Msg, error) {
		queries++
		r, _, err := client.ExchangeContext(ctx, q, env.Addr)
		return r, err
	}
	v, err := New(Deps{Exchange: exchange, Anchors: anchors})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range signedtest.Cases {
		t.Run(c.Name, func(t *testing.T) {
			q := new(dns.Msg).SetQuestion(c.QName, c.QType)
			q.CheckingDisabled = true
			q.SetEdns0(1232, true)
			reply, err := exchange(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			got := v.Validate(context.Background(), reply)
			want := expected(c)
			if got.State != want.State || int(got.EDE) != int(want.EDE) {
				t.Errorf("%s %s: got %v EDE %d (%s), want %v EDE %d", c.QName, dns.TypeToString[c.QType], got.State, got.EDE, got.Reason, want.State, want.EDE)
			}
		})
	}
	// A second pass is answered from the key cache: no DS or DNSKEY query.
	before := queries
	q := new(dns.Msg).SetQuestion("www.secure.tld.", dns.TypeA)
	q.SetEdns0(1232, true)
	reply, _ := exchange(context.Background(), q)
	if got := v.Validate(context.Background(), reply); got.State != Secure {
		t.Fatalf("warm: %v (%s)", got.State, got.Reason)
	}
	if queries != before+1 {
		t.Errorf("warm validation sent %d key queries, want 0", queries-before-1)
	}
}

// expected maps a case's client-visible outcome to the verdict behind it.
func expected(c signedtest.Case) Verdict {
	ede := uint16(NoEDE)
	if c.EDE >= 0 {
		ede = uint16(c.EDE)
	}
	switch {
	case c.Rcode == dns.RcodeServerFailure:
		return Verdict{State: Bogus, EDE: ede}
	case c.AD:
		return Verdict{State: Secure, EDE: ede}
	}
	return Verdict{State: Insecure, EDE: ede}
}

// TestConcurrentMissesShareKeyFetches: twenty validations at once in a
// cold validator ask for each DS and DNSKEY set once.
func TestConcurrentMissesShareKeyFetches(t *testing.T) {
	env := signedtest.Start(t)
	anchors, err := LoadAnchors(env.AnchorFile)
	if err != nil {
		t.Fatal(err)
	}
	client := &dns.Client{Net: "tcp", Timeout: 2 * time.Second}
	var mu sync.Mutex
	asked := map[string]int{}
	exchange := func(ctx context.Context, q *dns.Msg) (*dns.Msg, error) {
		mu.Lock()
		asked[q.Question[0].Name+" "+dns.TypeToString[q.Question[0].Qtype]]++
		mu.Unlock()
		r, _, err := client.ExchangeContext(ctx, q, env.Addr)
		return r, err
	}
	q := new(dns.Msg).SetQuestion("www.secure.tld.", dns.TypeA)
	q.SetEdns0(1232, true)
	reply, _, err := client.Exchange(q, env.Addr)
	if err != nil {
		t.Fatal(err)
	}
	v, err := New(Deps{Exchange: exchange, Anchors: anchors})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if got := v.Validate(context.Background(), reply); got.State != Secure {
				t.Errorf("%v (%s)", got.State, got.Reason)
			}
		})
	}
	wg.Wait()
	for key, n := range asked {
		if n != 1 {
			t.Errorf("%s asked %d times, want once", key, n)
		}
	}
	if len(asked) != 5 { // DNSKEY of ., tld., secure.tld.; DS of tld., secure.tld.
		t.Errorf("asked %v, want the 5 sets of the chain", asked)
	}
}
