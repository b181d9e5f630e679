package server

import (
	"context"
	"net/netip"
	"time"

	"github.com/cleandns/cleandns/blocklist"
	"github.com/cleandns/cleandns/groups"
	"github.com/cleandns/cleandns/query"
)

// Explain says whether name is blocked for client (the zero address: the
// default group), by which list, rule and line. `cleandns explain` and the
// admin API both answer with it. While a group's schedule window is open,
// the schedule's lists decide when the group's own lists do not.
func (s *Server) Explain(name string, client netip.Addr) blocklist.Explanation {
	g := s.gen.Load()
	group := query.DefaultGroup
	if client.IsValid() {
		group = g.groups.Select(client.Unmap(), "", nil)
	}
	ex := g.lists.Explain(group, name)
	if !ex.Blocked && !ex.Rule.Allow && g.groups.Matcher(group) != nil {
		if rule, blocked := g.groups.Matcher(group).Match(name); blocked {
			sched := g.lists.Explain(groups.SchedulePolicy(group), name)
			sched.Policy, sched.Blocked, sched.Rule = group+" (schedule)", true, rule
			return sched
		}
	}
	return ex
}

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

// Pause switches blocking off for group (groups.All: everyone) for d.
func (s *Server) Pause(group string, d time.Duration) error {
	return s.gen.Load().groups.Pause(group, d)
}

// Resume switches blocking back on for group (groups.All: the global pause).
func (s *Server) Resume(group string) error {
	return s.gen.Load().groups.Resume(group)
}
