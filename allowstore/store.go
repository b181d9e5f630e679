// Package allowstore keeps the runtime allow list: names an admin
// unblocked through the API or CLI, saved to a JSON file so they survive
// restarts. Lookups take no lock; the set is replaced whole on each change.
package allowstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/blocklist"
)

// ListName is the list a runtime exception reports as its source.
const ListName = "runtime-allow"

// Entry is one runtime exception.
type Entry struct {
	Name  string    `json:"name"`
	Added time.Time `json:"added"`
	By    string    `json:"by,omitempty"` // token kind and address that added it
}

// Store is the runtime allow list backed by a file.
type Store struct {
	path string
	now  func() time.Time

	mu  sync.Mutex // serializes changes and file writes
	set atomic.Pointer[set]
}

type set struct {
	entries []Entry
	names   map[string]bool
}

// Open loads the file at path; a missing file is an empty list. now is the
// clock (time.Now when nil).
func Open(path string, now func() time.Time) (*Store, error) {
	if now == nil {
		now = time.Now
	}
	s := &Store{path: path, now: now}
	var entries []Entry
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		if err := json.Unmarshal(b, &entries); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	s.set.Store(newSet(entries))
	return s, nil
}

func newSet(entries []Entry) *set {
	st := &set{entries: entries, names: make(map[string]bool, len(entries))}
	for _, e := range entries {
		st.names[e.Name] = true
	}
	return st
}

// List returns the entries, oldest first.
func (s *Store) List() []Entry {
	return slices.Clone(s.set.Load().entries)
}

// Add allows name (and every name under it) and saves the list. Adding a
// name already there keeps the first entry.
func (s *Store) Add(name, by string) (Entry, error) {
	name = canonical(name)
	if _, ok := dns.IsDomainName(name); !ok {
		return Entry{}, fmt.Errorf("%q is not a domain name", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.set.Load()
	for _, e := range cur.entries {
		if e.Name == name {
			return e, nil
		}
	}
	e := Entry{Name: name, Added: s.now().UTC(), By: by}
	return e, s.save(append(slices.Clone(cur.entries), e))
}

// Remove drops name and saves the list; false when it was not there.
func (s *Store) Remove(name string) (bool, error) {
	name = canonical(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.set.Load()
	if !cur.names[name] {
		return false, nil
	}
	entries := slices.DeleteFunc(slices.Clone(cur.entries), func(e Entry) bool { return e.Name == name })
	return true, s.save(entries)
}

// save writes entries to a temporary file, renames it over the list (so a
// crash leaves the old list or the new one, never half of one), then
// publishes them.
func (s *Store) save(entries []Entry) error {
	b, err := json.MarshalIndent(entries, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), ".allow-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return err
	}
	s.set.Store(newSet(entries))
	return nil
}

// Allowed returns the entry's name that allows name (name itself or a
// parent domain), and whether there is one.
func (s *Store) Allowed(name string) (string, bool) {
	st := s.set.Load()
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
func (s *Store) Wrap(next func(group string) blocklist.Matcher) func(group string) blocklist.Matcher {
	return func(group string) blocklist.Matcher {
		m := next(group)
		if m == nil || len(s.set.Load().names) == 0 {
			return m
		}
		return &matcher{s: s, next: m}
	}
}

type matcher struct {
	s    *Store
	next blocklist.Matcher
}

func (m *matcher) Match(name string) (blocklist.Rule, bool) {
	if d, ok := m.s.Allowed(name); ok {
		return blocklist.Rule{List: ListName, Domain: strings.TrimSuffix(d, "."), Text: d, Allow: true}, false
	}
	return m.next.Match(name)
}
