package runstate

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cleandns/cleandns/blocklist"
)

// The lists runtime blocks and custom rules report as their source.
const (
	DenyList  = "runtime-deny"
	RulesList = "runtime-rules"
)

// Entry is one runtime deny entry (Name) or custom rule (Rule).
type Entry struct {
	Name  string    `json:"name,omitempty"` // a deny entry's domain, fully qualified
	Rule  string    `json:"rule,omitempty"` // a custom rule, in list syntax
	Added time.Time `json:"added"`
	By    string    `json:"by,omitempty"` // token kind and address that added it
	// Comment is a custom rule's comment and blank lines above it in the
	// rules text it was saved in, each ending in a newline; Trailing, on
	// the last rule of that text, the lines after it (blocklist.TextRule).
	Comment  string `json:"comment,omitempty"`
	Trailing string `json:"trailing,omitempty"`
}

// customSet is a deny or rules document, parsed, with its matcher.
type customSet struct {
	entries []Entry
	match   blocklist.QueryMatcher // nil when there are no entries
}

func parseCustom(doc string, b []byte) (*customSet, error) {
	var entries []Entry
	if len(b) > 0 {
		if err := json.Unmarshal(b, &entries); err != nil {
			return nil, err
		}
	}
	return compileCustom(doc, entries)
}

// compileCustom builds the matcher of a document's entries: a deny entry
// blocks its name and the names under it (as "||name^"), a custom rule
// means what it means in a list.
func compileCustom(doc string, entries []Entry) (*customSet, error) {
	cs := &customSet{entries: entries}
	if len(entries) == 0 {
		return cs, nil
	}
	rules := make([]string, len(entries))
	list := RulesList
	for i, e := range entries {
		rules[i] = e.Rule
		if doc == DocDeny {
			rules[i], list = "||"+strings.TrimSuffix(e.Name, ".")+"^", DenyList
		}
	}
	m, err := blocklist.Compile(list, rules)
	if err != nil {
		return nil, err
	}
	cs.match = m
	return cs, nil
}

// Custom is the view of one custom document: the runtime deny list
// (State.Denylist) or the custom rules (State.Rules).
type Custom struct {
	s   *State
	doc string
}

// Denylist returns the runtime deny list: names blocked with their
// subdomains in every group.
func (s *State) Denylist() Custom { return Custom{s, DocDeny} }

// Rules returns the custom rules: list syntax, in every group.
func (s *State) Rules() Custom { return Custom{s, DocRules} }

func (c Custom) set() *customSet {
	if c.doc == DocDeny {
		return c.s.deny.Load()
	}
	return c.s.rules.Load()
}

// List returns the entries, oldest first.
func (c Custom) List() []Entry { return slices.Clone(c.set().entries) }

// Add adds a deny name or a custom rule, validated (a name is normalised:
// punycode, lower case, two labels or more). Adding one already there
// keeps the first entry.
func (c Custom) Add(value, by string) (Entry, error) {
	key, err := c.key(value)
	if err != nil {
		return Entry{}, err
	}
	s := c.s
	s.edit.Lock()
	defer s.edit.Unlock()
	cur := c.set()
	for _, e := range cur.entries {
		if e.Name+e.Rule == key {
			return e, nil
		}
	}
	e := Entry{Added: s.clock.Now().UTC(), By: by}
	if c.doc == DocDeny {
		e.Name = key
	} else {
		e.Rule = key
	}
	return e, c.save(append(slices.Clone(cur.entries), e))
}

// Remove drops a deny name or a custom rule (as written); false when it
// was not there.
func (c Custom) Remove(value string) (bool, error) {
	key, err := c.key(value)
	if err != nil {
		return false, err
	}
	s := c.s
	s.edit.Lock()
	defer s.edit.Unlock()
	cur := c.set()
	entries := slices.DeleteFunc(slices.Clone(cur.entries), func(e Entry) bool { return e.Name+e.Rule == key })
	if len(entries) == len(cur.entries) {
		return false, nil
	}
	return true, c.save(entries)
}

// key validates value and returns it as stored.
func (c Custom) key(value string) (string, error) {
	if c.doc == DocDeny {
		name, err := blocklist.NormalizeName(value)
		if err != nil {
			return "", err
		}
		return name + ".", nil
	}
	value = strings.TrimSpace(value)
	return value, blocklist.ValidateRule(value)
}

func (c Custom) save(entries []Entry) error {
	if _, err := compileCustom(c.doc, entries); err != nil {
		return err
	}
	b, err := json.MarshalIndent(entries, "", "  ")
	if err != nil {
		return err
	}
	return c.s.b.Set(c.doc, append(b, '\n'))
}

// customMatcher puts the runtime entries in front of a group's lists: the
// runtime allow list first, then the custom rules, then the deny list.
type customMatcher struct {
	s    *State
	next blocklist.Matcher
}

var _ blocklist.QueryMatcher = (*customMatcher)(nil)

func (m *customMatcher) Match(name string) (blocklist.Rule, bool) {
	d := m.MatchQuery(blocklist.Query{Name: name})
	return d.Rule, d.Blocked
}

func (m *customMatcher) MatchQuery(q blocklist.Query) blocklist.Decision {
	if d, ok := m.s.Allowlist().Allowed(q.Name); ok {
		return blocklist.Decision{Rule: blocklist.Rule{List: AllowList, Domain: strings.TrimSuffix(d, "."), Text: d, Allow: true}}
	}
	for _, cs := range [...]*customSet{m.s.rules.Load(), m.s.deny.Load()} {
		if cs.match == nil {
			continue
		}
		if d := cs.match.MatchQuery(q); d.Decided() {
			return d
		}
	}
	if m.next == nil {
		return blocklist.Decision{}
	}
	return blocklist.MatchQuery(m.next, q)
}

// Decide returns what the custom rules and the deny list say of q, for
// explanations; ok is false when neither decides.
func (s *State) Decide(q blocklist.Query) (blocklist.Decision, bool) {
	d := (&customMatcher{s: s}).MatchQuery(q)
	return d, d.Decided() && d.Rule.List != AllowList
}

// Wrap returns next with every runtime entry in front: an allowed name is
// never blocked, then custom rules and denied names apply to every group,
// then the group's lists. A group whose blocking is off or paused (next
// gives nil) stays unblocked. With no entries it returns next's matcher
// itself, so the common case costs three atomic loads.
func (s *State) Wrap(next func(group string) blocklist.Matcher) func(group string) blocklist.Matcher {
	return func(group string) blocklist.Matcher {
		m := next(group)
		if m == nil {
			return nil
		}
		if len(s.allow.Load().names) == 0 && s.rules.Load().match == nil && s.deny.Load().match == nil {
			return m
		}
		return &customMatcher{s: s, next: m}
	}
}

func (s *State) loadCustom(doc string, b []byte) error {
	cs, err := parseCustom(doc, b)
	if err != nil {
		return fmt.Errorf("runtime state %s: %w", doc, err)
	}
	if doc == DocDeny {
		s.deny.Store(cs)
	} else {
		s.rules.Store(cs)
	}
	return nil
}
