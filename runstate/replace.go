package runstate

import (
	"errors"
	"fmt"
	"slices"
)

// Replaced says what a Replace changed.
type Replaced struct {
	Rules   int      `json:"rules"`   // in the set now
	Added   []string `json:"added"`   // not in the set before
	Removed []string `json:"removed"` // in the set before, not now
}

// Replace makes rules the whole set of custom rules, in one write: a rule
// already there keeps its entry (when and by whom it was added), a new one
// is added now by by, and every other is removed. Each rule must pass
// blocklist.ValidateRule; one that does not refuses the whole set and
// nothing changes.
func (c Custom) Replace(rules []string, by string) (Replaced, error) {
	if c.doc != DocRules {
		return Replaced{}, errors.New("only the custom rules are replaced whole")
	}
	keys := make([]string, 0, len(rules))
	for _, r := range rules {
		k, err := c.key(r)
		if err != nil {
			return Replaced{}, err
		}
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	s := c.s
	s.edit.Lock()
	defer s.edit.Unlock()
	old := map[string]Entry{}
	for _, e := range c.set().entries {
		old[e.Rule] = e
	}
	out := Replaced{Rules: len(keys), Added: []string{}, Removed: []string{}}
	entries := make([]Entry, 0, len(keys))
	now := s.clock.Now().UTC()
	for _, k := range keys {
		e, ok := old[k]
		if !ok {
			e = Entry{Rule: k, Added: now, By: by}
			out.Added = append(out.Added, k)
		}
		delete(old, k)
		entries = append(entries, e)
	}
	for _, e := range c.set().entries {
		if _, gone := old[e.Rule]; gone {
			out.Removed = append(out.Removed, e.Rule)
		}
	}
	if err := c.save(entries); err != nil {
		return Replaced{}, fmt.Errorf("custom rules: %w", err)
	}
	return out, nil
}
