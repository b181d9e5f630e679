package blocklist

import (
	"errors"
	"fmt"
	"strings"
)

// NormalizeName checks a name a user gives (the runtime allow and deny
// lists) and returns it as the set stores it: lower case, punycode, no
// trailing dot. It must be a domain of two labels or more: "com" alone
// would allow or block a whole top-level domain, which is almost always a
// slip; a rule (`||com^`) says it on purpose.
func NormalizeName(name string) (string, error) {
	if strings.ContainsAny(name, "\x00\r\n") {
		return "", errors.New("a name holds no NUL or line break")
	}
	if name == "" || strings.TrimSpace(name) != name {
		return "", fmt.Errorf("%q is not a domain name", name)
	}
	d, err := normalizeDomain(name)
	if err != nil {
		return "", fmt.Errorf("%q is not a domain name: %w", name, err)
	}
	if !strings.Contains(d, ".") {
		return "", fmt.Errorf("%q is a top-level domain alone; write a rule (||%s^) to mean all of it", name, d)
	}
	return strings.Clone(d), nil
}

// ValidateRule checks one rule in list syntax, as custom rules are given:
// it must be one line that cleandns reads and honours (a skipped or
// cosmetic rule, a comment or a blank is refused, with the reason).
func ValidateRule(rule string) error {
	if strings.ContainsAny(rule, "\x00\r\n") {
		return errors.New("a rule is one line, without NUL")
	}
	entries, err := ParseLine(rule)
	switch {
	case errors.Is(err, ErrUnsupported):
		return fmt.Errorf("rule %q: cleandns cannot honour it: %w", rule, err)
	case err != nil:
		return fmt.Errorf("rule %q: %w", rule, err)
	case len(entries) == 0:
		return fmt.Errorf("rule %q holds no rule (a comment or a blank)", rule)
	}
	return nil
}

// Compile reads rules (list syntax, one per element, each valid by
// ValidateRule) into a QueryMatcher of their own whose Rules name list:
// the runtime deny list and custom rules, which apply to every group.
func Compile(list string, rules []string) (QueryMatcher, error) {
	text := strings.Join(rules, "\n")
	n, err := countRules(strings.NewReader(text))
	if err != nil {
		return nil, err
	}
	read := func(emit func(Entry)) error {
		_, err := parseList(strings.NewReader(text), emit)
		return err
	}
	set, _, err := buildSet(nil, 0, []listReading{{src: 0, rules: n, read: read}})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", list, err)
	}
	m := &Manager{sources: []*source{{name: list, location: list, kind: kindInline}}}
	m.set.Store(set)
	ps := &policyState{name: list, mask: policyMask{block: 1}}
	ps.ede[0] = 15
	return &policyMatcher{m: m, p: ps}, nil
}
