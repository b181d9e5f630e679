package runstate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// DocSettings is the document of the settings made in the console.
const DocSettings = "settings"

// maxAudit is how many changes the settings keep in their audit trail.
const maxAudit = 200

// Limits of the console's settings, so that the document (in the state
// directory, in Redis, read by every instance at each change) cannot
// grow without bound: a change past one is refused, and a document past
// one, written elsewhere, does not read (see ErrDamaged). Full to every
// limit the document stays under MaxSettingsBytes.
const (
	// MaxLocalRecords is how many local records the console keeps.
	MaxLocalRecords = 1000
	// MaxUpstreams is how long the console's upstream list may be.
	MaxUpstreams = 32
	// MaxListChanges is how many list switches (on or off, every group)
	// the console keeps: a group's lists switched on are bounded by the
	// blocklists' own 64 distinct lists, and those switched off by the
	// file's.
	MaxListChanges = 128
	// MaxAuditValue is how much of a change's old and new value the audit
	// trail keeps.
	MaxAuditValue = 1024
	// MaxSettingsBytes is the largest settings document that reads.
	MaxSettingsBytes = 4 << 20
)

// Settings are the changes made in the console (or through the API) on top
// of the config file: lists switched on or off per group, the upstreams,
// local records. The file stays the admin's source of truth and these say
// only where they differ from it; a setting that comes back to what the
// file says is dropped. Every field is optional, so a document written
// before a field existed still loads.
type Settings struct {
	// Lists are, by group ("default" for blocking.lists), the list sources
	// switched on (Add) or off (Remove) against the file.
	Lists map[string]ListChange `json:"lists,omitempty"`
	// Upstreams, when not empty, replace upstreams.servers: the console
	// sets the whole list, in order.
	Upstreams []string `json:"upstreams,omitempty"`
	// LocalRecords are records made in the console. For a name they hold,
	// they replace the file's local_records.records of that name.
	LocalRecords []LocalRecord `json:"local_records,omitempty"`
	// Audit is the trail of changes, oldest first, at most maxAudit.
	Audit []Change `json:"audit,omitempty"`
}

// ListChange is one group's difference from the file.
type ListChange struct {
	Add    []string `json:"add,omitempty"`
	Remove []string `json:"remove,omitempty"`
}

// Change is one audited change: who (token kind and address), when, what
// changed and its value before and after. Group, List, Old and New are a
// list switch's (kept as they were before What existed); OldValue and
// NewValue say every change's in words.
type Change struct {
	At    time.Time `json:"at"`
	By    string    `json:"by"`
	Group string    `json:"group,omitempty"`
	List  string    `json:"list,omitempty"`
	Old   bool      `json:"old"` // the list was on for the group
	New   bool      `json:"new"`
	// What is "list", "upstreams" or "local_record"; empty in changes
	// stored before it existed, which are all list switches.
	What     string `json:"what,omitempty"`
	OldValue string `json:"old_value,omitempty"`
	NewValue string `json:"new_value,omitempty"`
}

// SettingsStore keeps the Settings in a Backend. Reads take no lock.
type SettingsStore struct {
	b    Backend
	edit sync.Mutex
	cur  atomic.Pointer[Settings]
	now  func() time.Time

	// seen is the document as last read or written here, so a change
	// this store made is not taken for one made elsewhere; onChange hear
	// the others (another instance sharing the Backend).
	mu       sync.Mutex
	seen     []byte
	onChange []func()
	onDamage []func(error)
	damaged  error // why the document read at start was not used
}

// ErrDamaged marks a settings document that does not read as settings.
var ErrDamaged = errors.New("damaged document")

// OpenSettings reads the settings from b; now nil means time.Now. A
// document that does not read (a partial write, a hand edit, another
// instance's bug) does not stop it: the store starts with no settings, so
// the config file serves, Damaged says why, and the next Save replaces
// the document. An instance that cannot start, as every instance of a
// fleet sharing the document would, is worse than one without the
// console's settings.
func OpenSettings(b Backend, now func() time.Time) (*SettingsStore, error) {
	if now == nil {
		now = time.Now
	}
	s := &SettingsStore{b: b, now: now}
	if _, err := s.load(); errors.Is(err, ErrDamaged) {
		s.damaged = err
		s.cur.Store(&Settings{})
	} else if err != nil {
		return nil, err
	}
	b.Watch(func(doc string) {
		if doc != DocSettings {
			return
		}
		// A damaged document elsewhere keeps the last good one.
		changed, err := s.load()
		s.mu.Lock()
		fns, bad := slices.Clone(s.onChange), slices.Clone(s.onDamage)
		s.mu.Unlock()
		switch {
		case err != nil:
			for _, fn := range bad {
				fn(err)
			}
		case changed:
			for _, fn := range fns {
				fn()
			}
		}
	})
	return s, nil
}

// Damaged is why the document read at start was not used (see
// OpenSettings), nil when it was.
func (s *SettingsStore) Damaged() error { return s.damaged }

// OnDamaged registers fn to hear a document someone else stored that does
// not read: the last good settings stay. It runs on the Backend's
// goroutine.
func (s *SettingsStore) OnDamaged(fn func(error)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onDamage = append(s.onDamage, fn)
}

// OnChange registers fn to run after the settings were changed by someone
// else sharing the Backend (another instance of the fleet), not by Save.
// It runs on the Backend's goroutine: fn must not wait on this store.
func (s *SettingsStore) OnChange(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onChange = append(s.onChange, fn)
}

// load reads the document; changed is whether it differs from the one
// last read or written here.
func (s *SettingsStore) load() (changed bool, err error) {
	b, err := s.b.Get(DocSettings)
	if err != nil {
		return false, fmt.Errorf("runtime state %s: %w", DocSettings, err)
	}
	st := &Settings{}
	if len(b) > MaxSettingsBytes {
		return false, fmt.Errorf("runtime state %s: %w: %d bytes, over %d", DocSettings, ErrDamaged, len(b), MaxSettingsBytes)
	}
	if len(b) > 0 {
		if err := json.Unmarshal(b, st); err != nil {
			return false, fmt.Errorf("runtime state %s: %w: %w", DocSettings, ErrDamaged, err)
		}
	}
	if err := st.CheckLimits(); err != nil {
		return false, fmt.Errorf("runtime state %s: %w: %w", DocSettings, ErrDamaged, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur.Load() != nil && bytes.Equal(b, s.seen) {
		return false, nil
	}
	s.seen = b
	s.cur.Store(st)
	return true, nil
}

// Get returns the settings now; the caller must not change them.
func (s *SettingsStore) Get() *Settings { return s.cur.Load() }

// WithList returns the settings with list switched on or off for group,
// given whether the file has it on (fileOn): the change is recorded as a
// difference from the file, or dropped when it agrees with it. The store
// is not changed: Save does that, once the caller has applied them.
func (st *Settings) WithList(group, list string, on, fileOn bool) *Settings {
	next := st.clone()
	c := next.Lists[group]
	c.Add = slices.DeleteFunc(c.Add, func(s string) bool { return s == list })
	c.Remove = slices.DeleteFunc(c.Remove, func(s string) bool { return s == list })
	switch {
	case on == fileOn: // back to the file
	case on:
		c.Add = append(c.Add, list)
	default:
		c.Remove = append(c.Remove, list)
	}
	if len(c.Add) == 0 && len(c.Remove) == 0 {
		delete(next.Lists, group)
	} else {
		next.Lists[group] = c
	}
	return next
}

// Save stores next, adding ch to the audit trail.
func (s *SettingsStore) Save(next *Settings, ch Change) error {
	s.edit.Lock()
	defer s.edit.Unlock()
	ch.At = s.now()
	ch.OldValue, ch.NewValue = clip(ch.OldValue), clip(ch.NewValue)
	next.Audit = append(slices.Clone(next.Audit), ch)
	if n := len(next.Audit); n > maxAudit {
		next.Audit = next.Audit[n-maxAudit:]
	}
	b, err := json.MarshalIndent(next, "", "  ")
	if err != nil {
		return err
	}
	if len(b) > MaxSettingsBytes { // JSON escapes can swell values within the limits
		return fmt.Errorf("runtime state %s: %d bytes, over %d: remove some of the console's records or lists", DocSettings, len(b), MaxSettingsBytes)
	}
	// Seen before it is set: the Backend's watchers hear Set before it
	// returns, and this change is not news here.
	s.mu.Lock()
	prev, prevCur := s.seen, s.cur.Load()
	s.seen = b
	s.cur.Store(next)
	s.mu.Unlock()
	if err := s.b.Set(DocSettings, b); err != nil {
		s.mu.Lock()
		if bytes.Equal(s.seen, b) { // no one else's change came meanwhile
			s.seen = prev
			s.cur.Store(prevCur)
		}
		s.mu.Unlock()
		return fmt.Errorf("runtime state %s: %w", DocSettings, err)
	}
	return nil
}

// CheckLimits says which limit st is past (MaxLocalRecords, MaxUpstreams,
// MaxListChanges), nil when none.
func (st *Settings) CheckLimits() error {
	lists := 0
	for _, c := range st.Lists {
		lists += len(c.Add) + len(c.Remove)
	}
	switch {
	case len(st.LocalRecords) > MaxLocalRecords:
		return fmt.Errorf("%d local records, over the console's %d (put more in local_records.records or local_records.hosts_file)", len(st.LocalRecords), MaxLocalRecords)
	case len(st.Upstreams) > MaxUpstreams:
		return fmt.Errorf("%d upstreams, over the console's %d", len(st.Upstreams), MaxUpstreams)
	case lists > MaxListChanges:
		return fmt.Errorf("%d lists switched on or off, over the console's %d (fold them into the config file)", lists, MaxListChanges)
	}
	return nil
}

// clip cuts an audit value to MaxAuditValue bytes, on a rune boundary.
func clip(v string) string {
	const more = " …"
	if len(v) <= MaxAuditValue {
		return v
	}
	cut := MaxAuditValue - len(more)
	for cut > 0 && !utf8.RuneStart(v[cut]) {
		cut--
	}
	return v[:cut] + more
}
