package server

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/cleandns/cleandns/blocklist"
	"github.com/cleandns/cleandns/query"
)

// LoadLists loads the lists once, remote ones included, without opening a
// socket: for one-shot commands such as `cleandns explain` and `lists`.
func (s *Server) LoadLists(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx, s.stop = context.WithCancel(ctx)
	if err := s.gen.Load().start(ctx); err != nil {
		return err
	}
	return s.gen.Load().lists.Refresh(ctx)
}

// Lists reports every list's status.
func (s *Server) Lists() []blocklist.ListStatus {
	return s.gen.Load().lists.Status()
}

// Pause switches blocking off for group (query.EveryGroup: everyone) for d.
// The pause belongs to the runtime state, not to the config generation, so
// a reload neither ends it nor loses it.
func (s *Server) Pause(group string, d time.Duration) error {
	_, err := s.pause(group, d)
	return err
}

func (s *Server) pause(group string, d time.Duration) (time.Time, error) {
	if err := s.knownGroup(group); err != nil {
		return time.Time{}, err
	}
	return s.state.Pause(group, d)
}

// Resume switches blocking back on for group (query.EveryGroup: the global
// pause). Pauses of single groups outlast the end of a global pause.
func (s *Server) Resume(group string) error {
	if err := s.knownGroup(group); err != nil {
		return err
	}
	return s.state.Resume(group)
}

// knownGroup checks group against the serving config. A pause of a group
// that a later reload removes stays in the state, unused.
func (s *Server) knownGroup(group string) error {
	if group == query.EveryGroup {
		return nil
	}
	names := s.gen.Load().groups.Names()
	if !slices.Contains(names, group) {
		return fmt.Errorf("no group %q (groups: %v)", group, names)
	}
	return nil
}

// syncBlockingEnabled sets cleandns_blocking_enabled from the serving
// generation and the runtime state. The state calls it on every change and
// when a pause ends; a reload calls it after the swap. Nothing of a retired
// generation writes the gauge.
func (s *Server) syncBlockingEnabled() {
	s.gaugeMu.Lock()
	defer s.gaugeMu.Unlock()
	g := s.gen.Load()
	if g == nil {
		return
	}
	for _, st := range g.groups.Status().Groups {
		v := 0.0
		if st.Enabled {
			v = 1
		}
		s.metrics.BlockingEnabled.WithLabelValues(st.Group).Set(v)
	}
}
