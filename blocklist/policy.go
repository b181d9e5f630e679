package blocklist

import (
	"errors"
	"fmt"
	"strings"
)

// policyState is a Policy compiled against the Manager's sources.
type policyState struct {
	name string
	mask policyMask
	ede  [maxSources]uint16 // EDE code per source, for blocks by that source
}

// addPolicy registers p's lists as sources, sharing those already known.
func (m *Manager) addPolicy(p Policy, index map[string]*source) error {
	if p.Name == "" {
		return errors.New("blocklist: a policy has no name")
	}
	if _, dup := m.policies[p.Name]; dup {
		return fmt.Errorf("blocklist: policy %q defined twice", p.Name)
	}
	ps := &policyState{name: p.Name}
	for _, l := range p.Lists {
		if err := m.addList(ps, l, index); err != nil {
			return fmt.Errorf("blocklist policy %q: %w", p.Name, err)
		}
	}
	if len(p.Allow) > 0 {
		if err := m.addInlineAllow(ps, p.Allow, index); err != nil {
			return fmt.Errorf("blocklist policy %q: %w", p.Name, err)
		}
	}
	m.policies[p.Name] = ps
	return nil
}

func (m *Manager) addList(ps *policyState, l ListSpec, index map[string]*source) error {
	code, err := l.edeCode()
	if err != nil {
		return err
	}
	exact, err := l.exact()
	if err != nil {
		return err
	}
	source := strings.TrimSpace(l.Source)
	if source == "" {
		return errors.New("a list has no source")
	}
	kind := classify(source)
	names := []string{source}
	if kind == kindBuiltin {
		members, err := expandBuiltin(source)
		if err != nil {
			return err
		}
		names = names[:0]
		for _, member := range members {
			names = append(names, builtinPrefix+member)
		}
	}
	for _, name := range names {
		s, err := m.addSource(name, kind, index)
		if err != nil {
			return err
		}
		if s.users > 0 && s.exact != exact {
			return fmt.Errorf("list %q is configured with two match settings", s.name)
		}
		s.exact, s.users = exact, s.users+1
		bit := uint64(1) << s.idx
		if l.Allow {
			ps.mask.allow |= bit
			m.allowLists |= bit
		} else {
			ps.mask.block |= bit
		}
		ps.ede[s.idx] = code
	}
	return nil
}

// addInlineAllow turns a policy's allow entries into a list of its own,
// used by that policy as an allowlist. Each entry must parse.
func (m *Manager) addInlineAllow(ps *policyState, allow []string, index map[string]*source) error {
	for _, a := range allow {
		entries, err := ParseLine(a)
		if err == nil && len(entries) == 0 {
			err = errors.New("no rule")
		}
		if err != nil {
			return fmt.Errorf("allow entry %q: %w", a, err)
		}
	}
	s, err := m.addSource("allow:"+ps.name, kindInline, index)
	if err != nil {
		return err
	}
	s.inline = []byte(strings.Join(allow, "\n"))
	bit := uint64(1) << s.idx
	ps.mask.allow |= bit
	m.allowLists |= bit
	return nil
}

// Policies returns the names of the configured policies.
func (m *Manager) Policies() []string {
	names := make([]string, 0, len(m.policies))
	for name := range m.policies {
		names = append(names, name)
	}
	return names
}

// Matcher returns the Matcher of a policy. It is stable: it reads the
// current set on every call, so it sees refreshes. An unknown policy gets a
// Matcher that matches nothing.
func (m *Manager) Matcher(policy string) Matcher {
	ps, ok := m.policies[policy]
	if !ok {
		return noMatch{}
	}
	return &policyMatcher{m: m, p: ps}
}

type policyMatcher struct {
	m *Manager
	p *policyState
}

var _ Matcher = (*policyMatcher)(nil)

// Match reports whether name is blocked under the policy, for a query
// whose type, client and group are unknown (a CNAME target in an answer):
// rules whose modifiers need them do not apply. A rewrite is not a block.
func (pm *policyMatcher) Match(name string) (Rule, bool) {
	d := pm.MatchQuery(Query{Name: name})
	return d.Rule, d.Blocked
}

// MatchQuery decides q under the policy. When an exception decides, it
// returns the exception's Rule (Allow set) and Blocked false. Rule.Text and
// Rule.Line are left empty for domain rules on this hot path; Explain fills
// them. Rule.Domain allocates only when the name is not in lower case.
func (pm *policyMatcher) MatchQuery(q Query) Decision {
	name := strings.TrimSuffix(q.Name, ".")
	set := pm.m.set.Load()
	v := set.lookup(name, pm.p.mask)
	if set.ext != nil {
		if d, ok := pm.decideExt(set.ext, name, &q, v); ok {
			return d
		}
	}
	if !v.blocked && !v.allowed {
		return Decision{}
	}
	r := Rule{
		List:   pm.m.sources[v.src].name,
		Domain: strings.ToLower(name[v.start:]),
		Allow:  v.allowed,
	}
	if v.blocked {
		r.EDE = pm.p.ede[v.src]
	}
	return Decision{Rule: r, Blocked: v.blocked}
}

type noMatch struct{}

func (noMatch) Match(string) (Rule, bool) { return Rule{}, false }

// Domains returns the number of distinct names in the served set, across
// all lists (a name in several lists counts once).
func (m *Manager) Domains() int { return m.set.Load().Len() }
