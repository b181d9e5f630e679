package runstate

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/cleandns/cleandns/query"
)

// pauseSet is the pauses' snapshot: end times in Unix nanoseconds. Ended
// pauses may linger until the next change; lookups compare with the clock.
type pauseSet struct {
	until map[string]int64 // by group, query.EveryGroup for the global pause
}

func parsePauses(b []byte) (*pauseSet, error) {
	ps := &pauseSet{until: map[string]int64{}}
	if len(b) == 0 {
		return ps, nil
	}
	var doc map[string]time.Time
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	for g, t := range doc {
		ps.until[g] = t.UnixNano()
	}
	return ps, nil
}

// Paused reports whether blocking is paused for group at now, by its own
// pause or the global one. It takes no lock and allocates nothing.
func (s *State) Paused(group string, now time.Time) bool {
	ps := s.pauses.Load()
	if len(ps.until) == 0 {
		return false
	}
	n := now.UnixNano()
	return n < ps.until[query.EveryGroup] || n < ps.until[group]
}

// Any reports whether a pause may be running: false when none was set
// since the last change that dropped the ended ones.
func (s *State) Any() bool { return len(s.pauses.Load().until) > 0 }

// PausedUntil returns when group's own pause (query.EveryGroup: the global one)
// ends, and false when it is not paused now.
func (s *State) PausedUntil(group string) (time.Time, bool) {
	u := s.pauses.Load().until[group]
	if u <= s.clock.Now().UnixNano() {
		return time.Time{}, false
	}
	return time.Unix(0, u), true
}

// Pause switches blocking off for group (query.EveryGroup: every group) for d and
// returns when it ends. A new pause replaces the previous one; pauses of
// single groups outlast the end of a global pause.
func (s *State) Pause(group string, d time.Duration) (time.Time, error) {
	if d <= 0 {
		return time.Time{}, fmt.Errorf("pause %s: duration %v is not positive", group, d)
	}
	end := s.clock.Now().Add(d)
	return end, s.editPauses(func(m map[string]time.Time) { m[group] = end })
}

// Resume ends group's pause (query.EveryGroup: the global one) now.
func (s *State) Resume(group string) error {
	return s.editPauses(func(m map[string]time.Time) { delete(m, group) })
}

// editPauses writes the pauses edit makes of the running ones.
func (s *State) editPauses(edit func(map[string]time.Time)) error {
	s.edit.Lock()
	defer s.edit.Unlock()
	now := s.clock.Now().UnixNano()
	m := map[string]time.Time{}
	for g, u := range s.pauses.Load().until {
		if u > now {
			m[g] = time.Unix(0, u).UTC()
		}
	}
	edit(m)
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return s.b.Set(DocPauses, b) // the backend's watcher publishes it
}

// armTimer schedules the change notice for the next pause end, replacing
// any earlier timer, so the blocking_enabled gauge flips back on time.
func (s *State) armTimer(ps *pauseSet) {
	now := s.clock.Now().UnixNano()
	next := int64(0)
	for _, u := range ps.until {
		if u > now && (next == 0 || u < next) {
			next = u
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.timer != nil {
		s.timer()
		s.timer = nil
	}
	if next != 0 {
		s.timer = s.clock.AfterFunc(time.Duration(next-now), func() { s.armTimer(s.pauses.Load()); s.changed() })
	}
}
