package resolver

import (
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
