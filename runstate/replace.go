package runstate

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/cleandns/cleandns/blocklist"
)

// ErrRulesChanged is Replace's answer when the rules are no longer those
// of the version the caller read.
var ErrRulesChanged = errors.New("the custom rules changed since they were read")

// Replaced says what a Replace changed.
type Replaced struct {
	Rules   int      `json:"rules"`   // in the set now
	Added   []string `json:"added"`   // not in the set before
	Removed []string `json:"removed"` // in the set before, not now
}

// Version names the set of custom rules as it is now: it changes when a
// rule is added, removed or moved, or its comment changes, so an editor can say which set it
// replaces.
func (c Custom) Version() string { return version(c.set().entries) }

func version(entries []Entry) string {
	h := sha256.New()
	for _, e := range entries {
		h.Write([]byte(e.Name + e.Rule + "\n"))
		if e.Comment != "" || e.Trailing != "" { // a set without comments keeps the version it had before they were kept
			h.Write([]byte(e.Comment + "\x00" + e.Trailing + "\x00"))
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// Replace makes text's rules the whole set of custom rules, in one write:
// a rule already there keeps its entry (when and by whom it was added), a
// new one is added now by by, and every other is removed; each keeps the
// comment lines above it in text, and the last the lines after it. Each
// rule must pass blocklist.ValidateRule; one that does not refuses the
// whole set and nothing changes. With a version (from Version), the set
// must still be that one, or nothing changes and the error is
// ErrRulesChanged: a rule added meanwhile is not dropped unseen.
func (c Custom) Replace(text blocklist.RulesText, by, ifVersion string) (Replaced, error) {
	if c.doc != DocRules {
		return Replaced{}, errors.New("only the custom rules are replaced whole")
	}
	keys := make([]string, 0, len(text.Rules))
	comments := make([]string, 0, len(text.Rules))
	seen := make(map[string]bool, len(text.Rules))
	carried := "" // a repeated rule's comment goes to the next rule
	for _, r := range text.Rules {
		k, err := c.key(r.Rule)
		if err != nil {
			return Replaced{}, err
		}
		carried += r.Comment
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
			comments = append(comments, carried)
			carried = ""
		}
	}
	trailing := carried + text.Trailing
	s := c.s
	s.edit.Lock()
	defer s.edit.Unlock()
	if ifVersion != "" && !strings.EqualFold(ifVersion, version(c.set().entries)) {
		return Replaced{}, ErrRulesChanged
	}
	old := map[string]Entry{}
	for _, e := range c.set().entries {
		old[e.Rule] = e
	}
	out := Replaced{Rules: len(keys), Added: []string{}, Removed: []string{}}
	entries := make([]Entry, 0, len(keys))
	now := s.clock.Now().UTC()
	for i, k := range keys {
		e, ok := old[k]
		if !ok {
			e = Entry{Rule: k, Added: now, By: by}
			out.Added = append(out.Added, k)
		}
		delete(old, k)
		e.Comment, e.Trailing = comments[i], ""
		if i == len(keys)-1 {
			e.Trailing = trailing
		}
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
