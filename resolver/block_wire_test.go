package resolver

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/cleandns/cleandns/blocklist"
	"github.com/cleandns/cleandns/metrics"
	"github.com/cleandns/cleandns/policy"
)

// TestBlockWireMatchesAnswer checks the packed block answers say what
// BlockMode.Answer says, through the edge (header bits, OPT, EDE, case,
// truncation), for every mode that packs.
func TestBlockWireMatchesAnswer(t *testing.T) {
	for _, mode := range []string{"nxdomain", "nodata", "refused"} {
		for _, domain := range []string{"example", ""} { // a rule for the name, and a match-all rule
			bm, err := ParseBlockMode(policy.BlockConfig{Response: []string{mode}, TTL: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			matcher := func(string) blocklist.Matcher {
				return policyMatcher{domain: domain, list: "test-list"}
			}
			if domain == "" {
				matcher = func(string) blocklist.Matcher { return allMatcher{} }
			}
			block := NewBlockLink(matcher, bm)
			m := metrics.NewUnregistered()
			fast := NewEdge(EdgeConfig{}, Build(Parts{Block: block, Forward: HandlerFunc(corpusUpstream)}), m, zap.NewNop())
			slow := NewEdge(EdgeConfig{}, Build(Parts{Access: unpackLink{}, Block: block, Forward: HandlerFunc(corpusUpstream)}), m, zap.NewNop())
			for _, q := range wireCorpus() {
				w1, w2 := &captureWriter{}, &captureWriter{}
				fast.For("udp").ServeDNS(w1, q.Copy())
				slow.For("udp").ServeDNS(w2, q.Copy())
				got, want := unpackOrFail(t, w1.out), unpackOrFail(t, w2.out)
				if got.String() != want.String() {
					t.Errorf("%s %q: packed\n%v\nmessage\n%v", mode, domain, got, want)
				}
				if wantPacked := q.Question[0].Name != `we\.ird.example.`; w1.packed != wantPacked {
					t.Errorf("%s %s: written packed %v, want %v", mode, q.Question[0].Name, w1.packed, wantPacked)
				}
			}
		}
	}
}

type allMatcher struct{}

func (allMatcher) Match(string) (blocklist.Rule, bool) {
	return blocklist.Rule{List: "all", Text: "*"}, true
}

// TestAppendNameMatchesMiekg checks the label-by-label packer against
// miekg's, for the names it packs itself and the ones it refuses.
func TestAppendNameMatchesMiekg(t *testing.T) {
	long := strings.Repeat("a", 63)
	for _, name := range []string{
		".", "", "com.", "www.Example.COM.", "example", "a.b.c.d.e.f.g.",
		long + ".com.", long + "a.com.", // a label of 63, of 64
		strings.Repeat(long+".", 3) + strings.Repeat("b", 61) + ".", // 255 octets
		strings.Repeat(long+".", 3) + strings.Repeat("b", 62) + ".", // 256
		"a..b.", ".a.", `we\.ird.example.`, `x\065y.example.`,
	} {
		t.Run(name, func(t *testing.T) {
			got, gotOK := appendName([]byte{0xAA}, name)
			want, wantOK := appendNameMiekg([]byte{0xAA}, name)
			if gotOK != wantOK || !bytes.Equal(got, want) {
				t.Errorf("appendName(%q) = %x, %v; miekg: %x, %v", name, got, gotOK, want, wantOK)
			}
		})
	}
}

func TestOwnerName(t *testing.T) {
	for _, tc := range []struct{ domain, qname, want string }{
		{"", "www.example.com.", "."},
		{"example.com", "www.example.com.", "example.com."},
		{"example.com", "example.com.", "example.com."},
		{"ample.com", "www.example.com.", "ample.com."}, // not a label boundary: built
		{"example.com", "other.org.", "example.com."},
		{"example.com", "example.com", "example.com."}, // a query name not fully qualified
	} {
		if got := ownerName(tc.domain, tc.qname); got != tc.want {
			t.Errorf("ownerName(%q, %q) = %q, want %q", tc.domain, tc.qname, got, tc.want)
		}
	}
}
