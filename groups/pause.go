package groups

import (
	"fmt"
	"time"
)

// Pause switches blocking off for group (All: every group) for d; it
// resumes by itself when d has passed on the clock. A new pause replaces the
// previous one.
func (g *Groups) Pause(group string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("pause %s: duration %v is not positive", group, d)
	}
	p, err := g.pauseOf(group)
	if err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if p.stop != nil {
		p.stop()
	}
	p.until.Store(g.clock.Now().Add(d).UnixNano())
	p.stop = g.clock.AfterFunc(d, g.sync)
	g.syncLocked()
	return nil
}

// Resume ends a pause of group (All: the global pause) now. Pauses of single
// groups outlast the end of a global pause.
func (g *Groups) Resume(group string) error {
	p, err := g.pauseOf(group)
	if err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if p.stop != nil {
		p.stop()
		p.stop = nil
	}
	p.until.Store(0)
	g.syncLocked()
	return nil
}

func (g *Groups) pauseOf(group string) (*pause, error) {
	if group == All {
		return &g.global, nil
	}
	gr := g.byName[group]
	if gr == nil {
		return nil, fmt.Errorf("no group %q (groups: %v)", group, g.Names())
	}
	return &gr.pause, nil
}

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
	n := now.UnixNano()
	st := Status{PausedUntil: until(&g.global, n)}
	for _, gr := range g.order {
		s := State{Group: gr.name, Blocking: gr.blocking, PausedUntil: until(&gr.pause, n)}
		s.ScheduleOpen = gr.window != nil && gr.window.open(now)
		s.Enabled = gr.blocking && st.PausedUntil == nil && s.PausedUntil == nil
		st.Groups = append(st.Groups, s)
	}
	return st
}

func until(p *pause, now int64) *time.Time {
	if !p.active(now) {
		return nil
	}
	t := time.Unix(0, p.until.Load())
	return &t
}

// sync sets cleandns_blocking_enabled from the state now; the pause timers
// call it when a pause ends.
func (g *Groups) sync() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.syncLocked()
}

func (g *Groups) syncLocked() {
	if g.gauge == nil {
		return
	}
	for _, s := range g.Status().Groups {
		v := 0.0
		if s.Enabled {
			v = 1
		}
		g.gauge.WithLabelValues(s.Group).Set(v)
	}
}

// TakePauses carries the pauses still running in prev over to g, for the
// groups both know, so a config reload does not end a pause early.
func (g *Groups) TakePauses(prev *Groups) {
	now := g.clock.Now()
	carry := func(to *pause, from *pause) {
		if until := from.until.Load(); until > now.UnixNano() {
			if to.stop != nil {
				to.stop()
			}
			to.until.Store(until)
			to.stop = g.clock.AfterFunc(time.Duration(until-now.UnixNano()), g.sync)
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	carry(&g.global, &prev.global)
	for name, gr := range g.byName {
		if old := prev.byName[name]; old != nil {
			carry(&gr.pause, &old.pause)
		}
	}
	g.syncLocked()
}
