package resolver

import (
	"context"
	"net/netip"
	"strings"
	"sync"
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
type slot struct {
	client     netip.Addr
	zone       string
	start      time.Time
	cancel     context.CancelCauseFunc
	prev, next [2]*slot
	listed     bool // false once released
}

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

// acquire admits one exchange of client for name, returning the context to
// run it in and the release to call when it ends; or errUpstreamFull.
func (f *fairShare) acquire(ctx context.Context, client netip.Addr, name string) (context.Context, func(), error) {
	zone := zoneOf(name)
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.inUse >= f.total && !f.jostleFor(client, zone, now) {
		return nil, nil, errUpstreamFull
	}
	ctx, cancel := context.WithCancelCause(ctx)
	s := &slot{client: client, zone: zone, start: now, cancel: cancel, listed: true}
	pushTo(f.clients, client, s, byClient)
	pushTo(f.zones, zone, s, byZone)
	f.inUse++
	return ctx, func() {
		f.mu.Lock()
		f.release(s)
		f.mu.Unlock()
		cancel(nil)
	}, nil
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

// release frees s's slot once; under mu.
func (f *fairShare) release(s *slot) {
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
	f.release(oldest)
	oldest.cancel(errJostled)
	return true
}
