package resolver

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/publicsuffix"
)

// DefaultJostle is how long an upstream exchange keeps its slot for sure
// (Unbound's jostle-timeout): past it, a query of a less busy client or
// zone may take the slot when every slot is taken.
const DefaultJostle = 200 * time.Millisecond

// fairShare admits upstream exchanges so that one client, or one zone
// (a random-subdomain flood), cannot starve the others. While slots are
// free anyone takes one. When all are taken a new query takes the slot of
// the oldest exchange of the busiest client or zone, if that has waited
// past the jostle timeout and holds more than the newcomer's client or
// zone does; otherwise the newcomer is shed. The cancelled exchange is
// answered SERVFAIL with an Extended DNS Error, as the shed one is.
type fairShare struct {
	total  int
	jostle time.Duration
	now    func() time.Time

	mu      sync.Mutex
	inUse   int
	clients map[netip.Addr]slotList // oldest first
	zones   map[string]slotList
}

// The two lists a slot is on: its client's and its zone's.
const (
	byClient = iota
	byZone
)

// slot is one admitted exchange. It is linked into its client's and its
// zone's lists itself (intrusive lists held by value in the maps), so
// admitting an exchange allocates no list or element: container/list cost
// four allocations a cache miss.
//
// It is also the exchange's context (ctx): under a parent that is never
// cancelled (a resumed UDP query's), the slot itself, whose Done closes
// when it is jostled; under any other, a context.WithCancelCause of the
// parent. The first costs the slot and its channel, where the second, for
// every miss, cost the context, its channel and the release's closure too.
type slot struct {
	context.Context // the parent
	client          netip.Addr
	zone            string
	start           time.Time
	prev, next      [2]*slot
	listed          bool // false once released; under fairShare.mu

	done    chan struct{}           // the slot's own Done, with a parent never cancelled; else nil
	derived context.Context         // with a parent that may be cancelled: the exchange's context
	cancel  context.CancelCauseFunc // derived's
	jostled atomic.Bool
}

// ctx is the context to run the slot's exchange in.
func (s *slot) ctx() context.Context {
	if s.done != nil {
		return s
	}
	return s.derived
}

// Done and Err make a slot with a parent never cancelled a context that
// ends when it is jostled (Value and Deadline are the parent's).
func (s *slot) Done() <-chan struct{} { return s.done }

func (s *slot) Err() error {
	if s.jostled.Load() {
		return context.Canceled
	}
	return nil
}

// jostle cancels the slot's exchange; once, under fairShare.mu, as the
// slot leaves its lists.
func (s *slot) jostle() {
	s.jostled.Store(true)
	if s.done != nil {
		close(s.done)
	} else {
		s.cancel(errJostled)
	}
}

// Jostled reports whether the exchange lost its slot to a fairer one.
func (s *slot) Jostled() bool { return s.jostled.Load() }

// slotList is a list of slots, oldest first, linked through the slots'
// prev and next for one of the lists (byClient, byZone).
type slotList struct {
	front, back *slot
	n           int
}

func (l *slotList) pushBack(s *slot, which int) {
	s.prev[which], s.next[which] = l.back, nil
	if l.back != nil {
		l.back.next[which] = s
	} else {
		l.front = s
	}
	l.back = s
	l.n++
}

func (l *slotList) remove(s *slot, which int) {
	if p := s.prev[which]; p != nil {
		p.next[which] = s.next[which]
	} else {
		l.front = s.next[which]
	}
	if n := s.next[which]; n != nil {
		n.prev[which] = s.prev[which]
	} else {
		l.back = s.prev[which]
	}
	s.prev[which], s.next[which] = nil, nil
	l.n--
}

func newFairShare(total int, jostle time.Duration, now func() time.Time) *fairShare {
	return &fairShare{total: total, jostle: jostle, now: now,
		clients: map[netip.Addr]slotList{}, zones: map[string]slotList{}}
}

// zoneOf is the registrable domain of name (eTLD+1, by the public suffix
// list), or name itself for a suffix or the root.
func zoneOf(name string) string {
	name = strings.TrimSuffix(name, ".")
	if z, err := publicsuffix.EffectiveTLDPlusOne(name); err == nil {
		return z
	}
	return name
}

// acquire admits one exchange of client for name, returning its slot,
// whose ctx to run it in and which to release when it ends; or
// errUpstreamFull.
func (f *fairShare) acquire(ctx context.Context, client netip.Addr, name string) (*slot, error) {
	zone := zoneOf(name)
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.inUse >= f.total && !f.jostleFor(client, zone, now) {
		return nil, errUpstreamFull
	}
	s := &slot{Context: ctx, client: client, zone: zone, start: now, listed: true}
	if ctx.Done() == nil {
		s.done = make(chan struct{})
	} else {
		s.derived, s.cancel = context.WithCancelCause(ctx)
	}
	pushTo(f.clients, client, s, byClient)
	pushTo(f.zones, zone, s, byZone)
	f.inUse++
	return s, nil
}

// release frees s's slot, if a jostle did not already.
func (f *fairShare) release(s *slot) {
	f.mu.Lock()
	f.unlist(s)
	f.mu.Unlock()
	if s.cancel != nil {
		s.cancel(nil)
	}
}

func pushTo[K comparable](m map[K]slotList, k K, s *slot, which int) {
	l := m[k]
	l.pushBack(s, which)
	m[k] = l
}

func removeFrom[K comparable](m map[K]slotList, k K, s *slot, which int) {
	l := m[k]
	l.remove(s, which)
	if l.n == 0 {
		delete(m, k)
		return
	}
	m[k] = l
}

// unlist frees s's slot once; under mu.
func (f *fairShare) unlist(s *slot) {
	if !s.listed {
		return
	}
	removeFrom(f.clients, s.client, s, byClient)
	removeFrom(f.zones, s.zone, s, byZone)
	s.listed = false
	f.inUse--
}

// jostleFor frees a slot for a query of client in zone, if fair; under mu.
// The busiest client or zone is found by a scan: it runs only when every
// slot is taken, and the maps hold at most total entries.
func (f *fairShare) jostleFor(client netip.Addr, zone string, now time.Time) bool {
	var oldest *slot
	most := 0
	for _, l := range f.clients {
		if l.n > most {
			oldest, most = l.front, l.n
		}
	}
	for _, l := range f.zones {
		if l.n > most {
			oldest, most = l.front, l.n
		}
	}
	if oldest == nil {
		return false
	}
	mine := max(f.clients[client].n, f.zones[zone].n)
	if most <= mine+1 || now.Sub(oldest.start) < f.jostle {
		return false
	}
	f.unlist(oldest)
	oldest.jostle()
	return true
}
