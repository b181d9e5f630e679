package blocklist

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Explanation says why a name is or is not blocked under a policy, for
// `cleandns explain` and the API.
type Explanation struct {
	Name    string // the name as asked, normalised
	Policy  string
	Blocked bool
	Rule    Rule   // the deciding rule; zero when nothing matched
	Matches []Rule // every rule of the policy's lists that names Name, in list order
	// Note says what could not be looked at, such as a remote list with no
	// stored copy whose line numbers are unknown.
	Note string
}

// Explain decides name like the policy's Matcher, then reads the policy's
// lists again to find every rule naming it, with its text and line number.
// It is meant for people, not for the query path: it re-parses lists.
func (m *Manager) Explain(policy, name string) Explanation {
	ex := Explanation{Name: strings.ToLower(strings.TrimSuffix(name, ".")), Policy: policy}
	ps, ok := m.policies[policy]
	if !ok {
		ex.Note = fmt.Sprintf("no policy %q", policy)
		return ex
	}
	ex.Rule, ex.Blocked = m.Matcher(policy).Match(name)
	var unreadable []string
	for _, s := range m.sources {
		bit := uint64(1) << s.idx
		if (ps.mask.block|ps.mask.allow)&bit == 0 {
			continue
		}
		rules, err := m.explainList(s, ex.Name, ps)
		if err != nil {
			unreadable = append(unreadable, s.name)
			continue
		}
		ex.Matches = append(ex.Matches, rules...)
	}
	for _, r := range ex.Matches {
		if ex.Rule.List != "" && r.List == ex.Rule.List && r.Domain == ex.Rule.Domain && r.Allow == ex.Rule.Allow {
			ex.Rule.Text, ex.Rule.Line = r.Text, r.Line
			break
		}
	}
	if len(unreadable) > 0 {
		ex.Note = "could not re-read (no stored copy): " + strings.Join(unreadable, ", ")
	}
	return ex
}

// explainText opens the text of a list as it was last loaded, as far as it
// can be had again: a file may have changed since.
func (m *Manager) explainText(s *source) (io.ReadCloser, error) {
	switch s.kind {
	case kindBuiltin:
		return openBuiltin(s.location)
	case kindInline:
		return io.NopCloser(bytes.NewReader(s.inline)), nil
	case kindFile:
		return openFile(s.location, m.cfg.MaxBytes)
	}
	f, _, err := m.store.openCopy(s.location) // no checksum: explain reads what is there
	return f, err
}

// explainList returns the rules of list s that cover name.
func (m *Manager) explainList(s *source, name string, ps *policyState) ([]Rule, error) {
	text, err := m.explainText(s)
	if err != nil {
		return nil, err
	}
	defer text.Close()
	return rulesNaming(text, s, name, ps)
}

// rulesNaming returns the rules of one list that cover name, with the
// effect they have under the policy.
func rulesNaming(text io.Reader, s *source, name string, ps *policyState) ([]Rule, error) {
	var out []Rule
	asAllowList := ps.mask.allow&(1<<s.idx) != 0
	err := eachLine(text, func(n int, line, rule string) {
		entries, err := ParseLine(rule)
		if err != nil {
			return
		}
		for _, e := range entries {
			domain, ok := covers(e, name)
			if !ok {
				continue
			}
			// Cloned: the line and the entry point into the read buffer.
			r := Rule{List: s.name, Domain: strings.Clone(domain), Text: strings.Clone(strings.TrimSpace(line)), Line: n, Allow: e.Allow || asAllowList}
			if !r.Allow {
				r.EDE = ps.ede[s.idx]
			}
			out = append(out, r)
		}
	}, func(int, string) {})
	return out, err
}

// covers reports whether entry e applies to name, and the domain it names
// (for a regex rule, name itself, as Match reports it).
func covers(e Entry, name string) (string, bool) {
	if e.ext != nil {
		return name, !e.ext.badfilter && e.ext.pat.match(name)
	}
	if e.Off {
		return "", false // a $badfilter names a rule; it matches no name itself
	}
	if e.Regex != "" {
		re, err := regexp.Compile(e.Regex)
		return name, err == nil && re.MatchString(name)
	}
	scope := e.scope()
	if name == e.Domain {
		return e.Domain, scope&scopeSelf != 0
	}
	return e.Domain, scope&scopeBelow != 0 && strings.HasSuffix(name, "."+e.Domain)
}
