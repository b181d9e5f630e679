package groups

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cleandns/cleandns/blocklist"
	"github.com/cleandns/cleandns/query"
)

// Clock is the time source: Now for schedules and pauses, AfterFunc so the
// blocking_enabled gauge flips back when a pause ends. Tests inject a fake.
type Clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// Deps are what the server gives the groups.
type Deps struct {
	// Lists returns the matcher of a blocklist policy by name (the blocklist
	// Manager's Matcher); the matchers must stay valid across refreshes.
	Lists func(policy string) blocklist.Matcher
	// Clock defaults to the real one.
	Clock Clock
	// Enabled is the cleandns_blocking_enabled{group} gauge; nil for none.
	Enabled *prometheus.GaugeVec
	// Off is blocking.enabled: false, blocking off for every group, so the
	// gauge, the status and explain say so.
	Off bool
}

// Groups selects client groups and their matchers. Its tables are built once;
// only pauses change afterwards, and they are atomic.
type Groups struct {
	gauge   *prometheus.GaugeVec
	clock   Clock
	nets    *prefixTable
	trusted *prefixTable
	macs    map[[6]byte]string
	ids     map[string]string // client ID (lowercase) to group
	byName  map[string]*group
	order   []*group // query.DefaultGroup first, then config order

	global pause
	mu     sync.Mutex // serialises Pause, Resume and the gauge
}

// group is one group's state.
type group struct {
	name     string
	blocking bool
	window   *window
	always   blocklist.Matcher // the group's own lists
	both     blocklist.Matcher // its own lists plus the schedule's
	pause    pause
}

// pause is "paused until", in Unix nanoseconds; 0 when not paused.
type pause struct {
	until atomic.Int64
	stop  func() bool // the timer that refreshes the gauge at the end
}

func (p *pause) active(now int64) bool { return now < p.until.Load() }

// New builds the groups from the config's `groups` list and
// `groups_identity` section.
func New[L any](list []Group[L], id Identity, deps Deps) (*Groups, error) {
	specs, err := compile(list)
	if err != nil {
		return nil, err
	}
	if err := id.Validate(); err != nil {
		return nil, err
	}
	if deps.Lists == nil {
		return nil, fmt.Errorf("groups: no blocklist matchers")
	}
	g := &Groups{
		clock:  deps.Clock,
		gauge:  deps.Enabled,
		nets:   newPrefixTable(),
		macs:   map[[6]byte]string{},
		ids:    map[string]string{},
		byName: map[string]*group{},
	}
	if g.clock == nil {
		g.clock = realClock{}
	}
	if len(id.Trusted) > 0 {
		g.trusted = newPrefixTable()
		for _, s := range id.Trusted {
			p, _ := parseNet(s)
			g.trusted.add(p, "")
		}
	}
	g.addGroup(spec{name: query.DefaultGroup, blocking: true}, deps.Lists)
	for _, s := range specs {
		g.addGroup(s, deps.Lists)
		for _, p := range s.nets {
			g.nets.add(p, s.name)
		}
		for _, id := range s.ids {
			g.ids[id] = s.name
		}
		for _, m := range s.macs {
			g.macs[m] = s.name
		}
	}
	if deps.Off {
		for _, gr := range g.byName {
			gr.blocking = false
		}
	}
	g.sync()
	return g, nil
}

func (g *Groups) addGroup(s spec, lists func(string) blocklist.Matcher) {
	gr := &group{name: s.name, blocking: s.blocking, window: s.window, always: lists(s.name)}
	if s.window != nil {
		gr.both = &union{always: gr.always, extra: lists(SchedulePolicy(s.name))}
	}
	g.byName[s.name] = gr
	g.order = append(g.order, gr)
}

// Matcher returns the blocklist that applies to a group now: nil while its
// blocking is off or paused, its own lists plus the schedule's while the
// schedule's window is open, its own lists otherwise. It has the signature of
// resolver.MatcherFunc and allocates nothing. An unknown group gets
// Default's rules.
func (g *Groups) Matcher(name string) blocklist.Matcher {
	gr := g.byName[name]
	if gr == nil {
		gr = g.byName[query.DefaultGroup]
	}
	if !gr.blocking {
		return nil
	}
	now := g.clock.Now()
	if n := now.UnixNano(); g.global.active(n) || gr.pause.active(n) {
		return nil
	}
	if gr.window != nil && gr.window.open(now) {
		return gr.both
	}
	return gr.always
}

// union is a group's own matcher plus its schedule's. An allow entry in the
// own lists ends the search, and the schedule policy carries the group's
// allow entries too, so allow beats block across both.
type union struct{ always, extra blocklist.Matcher }

func (u *union) Match(name string) (blocklist.Rule, bool) {
	if u.always != nil {
		if r, ok := u.always.Match(name); ok || r.Allow {
			return r, ok
		}
	}
	if u.extra == nil {
		return blocklist.Rule{}, false
	}
	return u.extra.Match(name)
}

// Names returns the group names, Default first, then in config order.
func (g *Groups) Names() []string {
	out := make([]string, len(g.order))
	for i, gr := range g.order {
		out[i] = gr.name
	}
	return out
}
