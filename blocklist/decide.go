package blocklist

import (
	"strings"
)

// Decision is what a policy decides for one query.
type Decision struct {
	Rule    Rule // the deciding rule; zero when none matched
	Blocked bool
	// Rewrite, when not nil, is the answer to give instead of the real
	// one ($dnsrewrite, a hosts line's address, address=/x/1.2.3.4):
	// records, or a single rcode-only entry. Blocked is false then.
	Rewrite []Rewrite
}

// QueryMatcher is a Matcher that also decides by the query's type, client
// and group, and can rewrite. Implementations allocate nothing for a name
// no rule matches.
type QueryMatcher interface {
	Matcher
	MatchQuery(q Query) Decision
}

var _ QueryMatcher = (*policyMatcher)(nil)

// MatchQuery decides q with m: through MatchQuery when m is a QueryMatcher,
// else by the name alone. Wrappers of Matchers (a group's schedule, the
// runtime allow list) use it so that modifiers and rewrites reach through.
func MatchQuery(m Matcher, q Query) Decision {
	if qm, ok := m.(QueryMatcher); ok {
		return qm.MatchQuery(q)
	}
	var d Decision
	d.Rule, d.Blocked = m.Match(q.Name)
	return d
}

// Decided reports whether d ends the search: a block, an exception or a
// rewrite.
func (d Decision) Decided() bool { return d.Blocked || d.Rule.Allow || d.Rewrite != nil }

// decideExt merges what the extSet found with the domain table's verdict
// v, in AdGuard's order: allowlists first, then rewrites, then $important
// exceptions and blocks, then exceptions, then blocks. ok is false when
// the extSet changes nothing.
func (pm *policyMatcher) decideExt(x *extSet, name string, q *Query, v verdict) (Decision, bool) {
	xv := x.lookup(name, q, pm.p.mask)
	if v.allowed && pm.p.mask.allow&(1<<v.src) != 0 {
		return Decision{}, false // an allowlist's entry: the table's verdict stands
	}
	switch {
	case xv.allowList >= 0:
		return pm.extDecision(x, xv.allowList, name, false), true
	case xv.nRewrites > 0:
		d := pm.extDecision(x, xv.rewrites[0], name, false)
		d.Rewrite = x.rules[xv.rewrites[0]].rewrite
		if xv.nRewrites > 1 {
			d.Rewrite = x.combine(xv)
		}
		return d, true
	case xv.importantAllow >= 0:
		return pm.extDecision(x, xv.importantAllow, name, false), true
	case xv.importantBlock >= 0:
		return pm.extDecision(x, xv.importantBlock, name, true), true
	case v.allowed || v.blocked && xv.allow < 0:
		return Decision{}, false
	case xv.allow >= 0:
		return pm.extDecision(x, xv.allow, name, false), true
	case xv.block >= 0:
		return pm.extDecision(x, xv.block, name, true), true
	}
	return Decision{}, false
}

// extDecision is the Decision of rule i of x.
func (pm *policyMatcher) extDecision(x *extSet, i int32, name string, blocked bool) Decision {
	r := &x.rules[i]
	rule := Rule{List: pm.m.sources[r.src].name, Domain: strings.ToLower(name), Text: r.text, Allow: !blocked}
	if blocked {
		rule.EDE = pm.p.ede[r.src]
	}
	return Decision{Rule: rule, Blocked: blocked}
}

// combine joins the rewrites of several matching rules. A rule with an
// rcode other than NOERROR decides alone, as in AdGuard Home.
func (x *extSet) combine(xv extVerdict) []Rewrite {
	var out []Rewrite
	for _, i := range xv.rewrites[:min(xv.nRewrites, len(xv.rewrites))] {
		for _, rw := range x.rules[i].rewrite {
			if rw.RCode != 0 {
				return []Rewrite{rw}
			}
			out = append(out, rw)
		}
	}
	return out
}
