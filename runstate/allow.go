package runstate

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/blocklist"
)

// AllowList is the list a runtime exception reports as its source.
const AllowList = "runtime-allow"

// AllowEntry is one runtime exception: the name and every name under it are
// never blocked.
type AllowEntry struct {
	Name  string    `json:"name"`
	Added time.Time `json:"added"`
	By    string    `json:"by,omitempty"` // token kind and address that added it
}

type allowSet struct {
	entries []AllowEntry
	names   map[string]bool
}

func newAllowSet(entries []AllowEntry) *allowSet {
	st := &allowSet{entries: entries, names: make(map[string]bool, len(entries))}
	for _, e := range entries {
		st.names[e.Name] = true
	}
	return st
}

func parseAllow(b []byte) (*allowSet, error) {
	var entries []AllowEntry
	if len(b) > 0 {
		if err := json.Unmarshal(b, &entries); err != nil {
			return nil, err
		}
	}
	return newAllowSet(entries), nil
}

// Allowlist is the runtime allow list's view of a State: the admin API's
// AllowStore, and the matcher wrapper the pipeline applies.
type Allowlist struct{ s *State }

// Allowlist returns the runtime allow list.
func (s *State) Allowlist() Allowlist { return Allowlist{s} }

// List returns the runtime exceptions, oldest first.
func (a Allowlist) List() []AllowEntry { return slices.Clone(a.s.allow.Load().entries) }

// Add allows name (and every name under it). Adding a name already there
// keeps the first entry.
func (a Allowlist) Add(name, by string) (AllowEntry, error) {
	s := a.s
	normal, err := blocklist.NormalizeName(strings.TrimSuffix(name, "."))
	if err != nil {
		return AllowEntry{}, err
	}
	name = normal + "."
	s.edit.Lock()
	defer s.edit.Unlock()
	cur := s.allow.Load()
	for _, e := range cur.entries {
		if e.Name == name {
			return e, nil
		}
	}
	e := AllowEntry{Name: name, Added: s.clock.Now().UTC(), By: by}
	return e, s.saveAllow(append(slices.Clone(cur.entries), e))
}

// Remove drops name; false when it was not there.
func (a Allowlist) Remove(name string) (bool, error) {
	s := a.s
	if n, err := blocklist.NormalizeName(strings.TrimSuffix(name, ".")); err == nil {
		name = n + "." // as Add stored it: "Bücher.example" is its punycode
	} else {
		name = canonical(name)
	}
	s.edit.Lock()
	defer s.edit.Unlock()
	cur := s.allow.Load()
	if !cur.names[name] {
		return false, nil
	}
	entries := slices.DeleteFunc(slices.Clone(cur.entries), func(e AllowEntry) bool { return e.Name == name })
	return true, s.saveAllow(entries)
}

func (s *State) saveAllow(entries []AllowEntry) error {
	b, err := json.MarshalIndent(entries, "", "  ")
	if err != nil {
		return err
	}
	return s.b.Set(DocAllow, append(b, '\n'))
}

// Allowed returns the entry's name that allows name (name itself or a
// parent domain), and whether there is one.
func (a Allowlist) Allowed(name string) (string, bool) {
	st := a.s.allow.Load()
	if len(st.names) == 0 {
		return "", false
	}
	name = canonical(name)
	for off, end := 0, false; !end; off, end = dns.NextLabel(name, off) {
		if st.names[name[off:]] {
			return name[off:], true
		}
	}
	return "", false
}

func canonical(name string) string { return strings.ToLower(dns.Fqdn(name)) }

// Wrap returns next with the runtime exceptions in front: an allowed name
// is never blocked, whatever the group's lists say. With no entries it
// returns next's matcher itself, so the common case costs one atomic load.
func (a Allowlist) Wrap(next func(group string) blocklist.Matcher) func(group string) blocklist.Matcher {
	return func(group string) blocklist.Matcher {
		m := next(group)
		if m == nil || len(a.s.allow.Load().names) == 0 {
			return m
		}
		return &allowMatcher{a: a, next: m}
	}
}

type allowMatcher struct {
	a    Allowlist
	next blocklist.Matcher
}

var _ blocklist.QueryMatcher = (*allowMatcher)(nil)

// MatchQuery is Match for a whole query: the lists' modifiers and rewrites
// reach through the wrapper.
func (m *allowMatcher) MatchQuery(q blocklist.Query) blocklist.Decision {
	if d, ok := m.a.Allowed(q.Name); ok {
		return blocklist.Decision{Rule: blocklist.Rule{List: AllowList, Domain: strings.TrimSuffix(d, "."), Text: d, Allow: true}}
	}
	return blocklist.MatchQuery(m.next, q)
}

func (m *allowMatcher) Match(name string) (blocklist.Rule, bool) {
	if d, ok := m.a.Allowed(name); ok {
		return blocklist.Rule{List: AllowList, Domain: strings.TrimSuffix(d, "."), Text: d, Allow: true}, false
	}
	return m.next.Match(name)
}
