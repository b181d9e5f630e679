package groups

import (
	"testing"

	"github.com/cleandns/cleandns/blocklist"
)

// rewriter rewrites one name for AAAA queries only, so a wrapper that
// dropped the query type would lose it.
type rewriter struct{ name string }

func (r rewriter) Match(string) (blocklist.Rule, bool) { return blocklist.Rule{}, false }

func (r rewriter) MatchQuery(q blocklist.Query) blocklist.Decision {
	if q.Name == r.name && q.Type == 28 {
		return blocklist.Decision{Rule: blocklist.Rule{List: "rw"}, Rewrite: []blocklist.Rewrite{{RCode: 5}}}
	}
	return blocklist.Decision{}
}

// TestUnionPassesQueries: a group's own lists and its schedule's decide
// the whole query, so rewrites and modifiers reach through the union.
func TestUnionPassesQueries(t *testing.T) {
	for _, u := range []*union{{always: rewriter{"a.example"}}, {always: rewriter{"x"}, extra: rewriter{"a.example"}}} {
		if d := blocklist.MatchQuery(u, blocklist.Query{Name: "a.example", Type: 28}); d.Rewrite == nil {
			t.Errorf("union %+v lost the rewrite: %+v", u, d)
		}
		if d := blocklist.MatchQuery(u, blocklist.Query{Name: "a.example", Type: 1}); d.Decided() {
			t.Errorf("union %+v decided an A query: %+v", u, d)
		}
	}
}
