package groups

import (
	"fmt"
	"time"

	"github.com/cleandns/cleandns/blocklist"
	"github.com/cleandns/cleandns/query"
)

// Clock is the time source for schedules and pauses. Tests inject a fake.
type Clock interface {
	Now() time.Time
}

// Deps are what the server gives the groups.
type Deps struct {
	// Lists returns the matcher of a blocklist policy by name (the blocklist
	// Manager's Matcher); the matchers must stay valid across refreshes.
	Lists func(policy string) blocklist.Matcher
	// Clock defaults to the real one.
	Clock Clock
	// Pauses are the running pauses; nil: none.
	Pauses Pauses
	// Off is blocking.enabled: false, blocking off for every group, so the
	// gauge, the status and explain say so.
	Off bool
}

// Groups selects client groups and their matchers. Its tables are built
// once; pauses, which change, belong to the runtime state and are read.
type Groups struct {
	pauses  Pauses
	clock   Clock
	nets    *prefixTable
	trusted *prefixTable
	macs    map[[6]byte]string
	ids     map[string]string // client ID (lowercase) to group
	byName  map[string]*group
	order   []*group // query.DefaultGroup first, then config order
}

// group is one group's state.
type group struct {
	name     string
	blocking bool
	window   *window
	always   blocklist.Matcher // the group's own lists
	both     blocklist.Matcher // its own lists plus the schedule's
}

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
		pauses: deps.Pauses,
		nets:   newPrefixTable(),
		macs:   map[[6]byte]string{},
		ids:    map[string]string{},
		byName: map[string]*group{},
	}
	if g.clock == nil {
		g.clock = realClock{}
	}
	if g.pauses == nil {
		g.pauses = noPauses{}
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
	if gr.window == nil && !g.pauses.Any() {
		// Nothing depends on the time: a clock reading costs about 100 ns
		// on a VM, as much as the rest of this link.
		return gr.always
	}
	now := g.clock.Now()
	if g.pauses.Paused(gr.name, now) {
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

// MatchQuery is Match for a whole query, so that the lists' modifiers and
// rewrites apply through the union.
func (u *union) MatchQuery(q blocklist.Query) blocklist.Decision {
	if u.always != nil {
		if d := blocklist.MatchQuery(u.always, q); d.Decided() {
			return d
		}
	}
	if u.extra == nil {
		return blocklist.Decision{}
	}
	return blocklist.MatchQuery(u.extra, q)
}

var _ blocklist.QueryMatcher = (*union)(nil)

// Names returns the group names, Default first, then in config order.
func (g *Groups) Names() []string {
	out := make([]string, len(g.order))
	for i, gr := range g.order {
		out[i] = gr.name
	}
	return out
}
