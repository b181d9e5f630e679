package groups

import (
	"time"

	"github.com/cleandns/cleandns/query"
)

// Pauses says which groups have blocking paused (query.EveryGroup: the
// global pause). The runtime state owns them, so they outlive the Groups a
// reload replaces; *runstate.State is one.
type Pauses interface {
	// Paused reports whether group is paused at now, by its own pause or
	// the global one. It is on every query's path: no lock, no allocation.
	Paused(group string, now time.Time) bool
	// Any reports whether any pause may be running (ended ones may linger):
	// when none is, and no schedule applies, a query reads no clock.
	Any() bool
	// PausedUntil returns when group's own pause ends; false when none runs.
	PausedUntil(group string) (time.Time, bool)
}

type noPauses struct{}

func (noPauses) Paused(string, time.Time) bool        { return false }
func (noPauses) PausedUntil(string) (time.Time, bool) { return time.Time{}, false }
func (noPauses) Any() bool                            { return false }

// State is the blocking state of one group, for the admin API.
type State struct {
	Group string `json:"group"`
	// Blocking is what the config says (`blocking: false` makes it false).
	Blocking bool `json:"blocking"`
	// PausedUntil is when the group's own pause ends; nil when not paused.
	PausedUntil *time.Time `json:"paused_until,omitempty"`
	// ScheduleOpen is true while the schedule's extra lists apply.
	ScheduleOpen bool `json:"schedule_open"`
	// Enabled is whether blocking applies right now, global pause included.
	Enabled bool `json:"enabled"`
}

// Status is the blocking state of every group and the global pause.
type Status struct {
	// PausedUntil is when the global pause ends; nil when not paused.
	PausedUntil *time.Time `json:"paused_until,omitempty"`
	Groups      []State    `json:"groups"`
}

// Status reports the state now.
func (g *Groups) Status() Status {
	now := g.clock.Now()
	st := Status{PausedUntil: g.until(query.EveryGroup)}
	for _, gr := range g.order {
		s := State{Group: gr.name, Blocking: gr.blocking, PausedUntil: g.until(gr.name)}
		s.ScheduleOpen = gr.window != nil && gr.window.open(now)
		s.Enabled = gr.blocking && st.PausedUntil == nil && s.PausedUntil == nil
		st.Groups = append(st.Groups, s)
	}
	return st
}

func (g *Groups) until(group string) *time.Time {
	t, ok := g.pauses.PausedUntil(group)
	if !ok {
		return nil
	}
	return &t
}
