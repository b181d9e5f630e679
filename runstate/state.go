package runstate

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Clock is the time source: Now for pause ends, AfterFunc so watchers hear
// when a pause ends by itself. Tests inject a fake.
type Clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }
func (realClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}

// The documents State keeps in its Backend.
const (
	DocAllow  = "allow"
	DocPauses = "pauses"
	DocDeny   = "deny"  // the runtime deny list
	DocRules  = "rules" // custom rules in list syntax
)

// State is the owner of the runtime state. Reads (Paused, Allowed) take
// no lock: each document is parsed once per change into an immutable
// snapshot that lookups load atomically.
type State struct {
	b     Backend
	clock Clock

	edit     sync.Mutex // serialises changes, so a read-modify-write of a document is whole
	mu       sync.Mutex // guards timer and onChange
	allow    atomic.Pointer[allowSet]
	pauses   atomic.Pointer[pauseSet]
	deny     atomic.Pointer[customSet]
	rules    atomic.Pointer[customSet]
	timer    func() bool // the timer at the next pause end; nil when none runs
	onChange []func()
}

// Open reads the state from b; clock is nil for the real one.
func Open(b Backend, clock Clock) (*State, error) {
	if clock == nil {
		clock = realClock{}
	}
	s := &State{b: b, clock: clock}
	s.allow.Store(newAllowSet(nil))
	s.pauses.Store(&pauseSet{})
	s.deny.Store(&customSet{})
	s.rules.Store(&customSet{})
	for _, doc := range []string{DocAllow, DocPauses, DocDeny, DocRules} {
		if err := s.load(doc); err != nil {
			return nil, err
		}
	}
	// A document changed elsewhere that cannot be read keeps the last good
	// snapshot serving.
	b.Watch(func(doc string) { _ = s.load(doc) })
	return s, nil
}

// OnChange calls fn after every change of the state, and when a pause ends
// by itself: the server keeps cleandns_blocking_enabled with it.
func (s *State) OnChange(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onChange = append(s.onChange, fn)
}

// load parses doc from the backend and publishes it.
func (s *State) load(doc string) error {
	b, err := s.b.Get(doc)
	if err != nil {
		return fmt.Errorf("runtime state %s: %w", doc, err)
	}
	switch doc {
	case DocAllow:
		st, err := parseAllow(b)
		if err != nil {
			return fmt.Errorf("runtime state %s: %w", doc, err)
		}
		s.allow.Store(st)
	case DocPauses:
		ps, err := parsePauses(b)
		if err != nil {
			return fmt.Errorf("runtime state %s: %w", doc, err)
		}
		s.pauses.Store(ps)
		s.armTimer(ps)
	case DocDeny, DocRules:
		if err := s.loadCustom(doc, b); err != nil {
			return err
		}
	default:
		return nil
	}
	s.changed()
	return nil
}

func (s *State) changed() {
	s.mu.Lock()
	fns := append([]func(){}, s.onChange...)
	s.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}
