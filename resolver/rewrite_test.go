package resolver

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/blocklist"
	"github.com/cleandns/cleandns/policy"
	"github.com/cleandns/cleandns/query"
)

// rewriteLists loads rules into a real blocklist Manager, so the test runs
// the list syntax through to the answer on the wire.
func rewriteLists(t *testing.T, rules string) MatcherFunc {
	t.Helper()
	path := filepath.Join(t.TempDir(), "list.txt")
	if err := os.WriteFile(path, []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := blocklist.New(blocklist.Config{}, []blocklist.Policy{{Name: query.DefaultGroup, Lists: []blocklist.ListSpec{{Source: path}}}}, blocklist.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); m.Wait() })
	return func(string) blocklist.Matcher { return m.Matcher(query.DefaultGroup) }
}

// TestRewritesOverSockets checks each rewrite form's answer: records of
// the query's type under the query name with the block TTL, NODATA for
// other types, rcodes, and CNAMEs whose target is resolved upstream.
func TestRewritesOverSockets(t *testing.T) {
	rules := strings.Join([]string{
		"||rw.example^$dnsrewrite=192.0.2.7",
		"||cn.example^$dnsrewrite=target.example",
		"||loop.example^$dnsrewrite=loop2.example",
		"||loop2.example^$dnsrewrite=loop.example",
		"||mx.example^$dnsrewrite=NOERROR;MX;10 mail.example",
		"||ref.example^$dnsrewrite=REFUSED",
		"||nx.example^$dnsrewrite=NXDOMAIN;;",
		"||kids.example^$client=127.0.0.3",
		"||six.example^$dnstype=AAAA",
		"192.0.2.44 nas.lan",
		"address=/lab.lan/192.0.2.55",
	}, "\n")
	up := &countingUpstream{}
	mode, _ := ParseBlockMode(policy.BlockConfig{TTL: 10 * time.Second})
	addr := serveEdge(t, Build(Parts{Block: NewBlockLink(rewriteLists(t, rules), mode), Forward: up}))
	tests := []struct {
		name   string
		from   string
		qtype  uint16
		rcode  int
		answer []string // each record's text without the header's TTL
	}{
		{"www.rw.example.", "127.0.0.2", dns.TypeA, dns.RcodeSuccess, []string{"www.rw.example.\tIN\tA\t192.0.2.7"}},
		{"rw.example.", "127.0.0.2", dns.TypeAAAA, dns.RcodeSuccess, nil},
		{"cn.example.", "127.0.0.2", dns.TypeA, dns.RcodeSuccess, []string{"cn.example.\tIN\tCNAME\ttarget.example.", "target.example.\tIN\tA\t192.0.2.1"}},
		{"loop.example.", "127.0.0.2", dns.TypeA, dns.RcodeSuccess, nil}, // checked for length below
		{"mx.example.", "127.0.0.2", dns.TypeMX, dns.RcodeSuccess, []string{"mx.example.\tIN\tMX\t10 mail.example."}},
		{"ref.example.", "127.0.0.2", dns.TypeA, dns.RcodeRefused, nil},
		{"nx.example.", "127.0.0.2", dns.TypeA, dns.RcodeNameError, nil},
		{"kids.example.", "127.0.0.3", dns.TypeA, dns.RcodeNameError, nil},
		{"kids.example.", "127.0.0.2", dns.TypeA, dns.RcodeSuccess, []string{"kids.example.\tIN\tA\t192.0.2.1"}},
		{"six.example.", "127.0.0.2", dns.TypeAAAA, dns.RcodeNameError, nil},
		{"six.example.", "127.0.0.2", dns.TypeA, dns.RcodeSuccess, []string{"six.example.\tIN\tA\t192.0.2.1"}},
		{"nas.lan.", "127.0.0.2", dns.TypeA, dns.RcodeSuccess, []string{"nas.lan.\tIN\tA\t192.0.2.44"}},
		{"a.lab.lan.", "127.0.0.2", dns.TypeA, dns.RcodeSuccess, []string{"a.lab.lan.\tIN\tA\t192.0.2.55"}},
	}
	for _, tt := range tests {
		t.Run(tt.name+dns.TypeToString[tt.qtype]+"@"+tt.from, func(t *testing.T) {
			r := mustAskFrom(t, "udp", tt.from, addr, policyMsg(tt.name, tt.qtype, true))
			if r.Rcode != tt.rcode {
				t.Fatalf("rcode %s, want %s", dns.RcodeToString[r.Rcode], dns.RcodeToString[tt.rcode])
			}
			if tt.name == "loop.example." {
				if len(r.Answer) < 2 || len(r.Answer) > maxRewriteChain+1 {
					t.Errorf("a rewrite loop gave %d records, want a bounded chain", len(r.Answer))
				}
				return
			}
			var got []string
			for _, rr := range r.Answer {
				s := rr.String()
				h := rr.Header()
				if h.Name == tt.name && tt.rcode == dns.RcodeSuccess && !strings.HasPrefix(tt.name, "kids.") && !strings.HasPrefix(tt.name, "six.") && h.Ttl != 10 {
					t.Errorf("%s: TTL %d, want blocking.ttl 10", s, h.Ttl)
				}
				got = append(got, strings.Replace(s, "\t"+itoa(h.Ttl)+"\t", "\t", 1))
			}
			if strings.Join(got, "|") != strings.Join(tt.answer, "|") {
				t.Errorf("answer %q, want %q", got, tt.answer)
			}
		})
	}
}

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }
