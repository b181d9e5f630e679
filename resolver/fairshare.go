package resolver

import (
	"container/list"
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
	clients map[netip.Addr]*list.List // of *slot, oldest first
	zones   map[string]*list.List
}

// slot is one admitted exchange.
type slot struct {
	client         netip.Addr
	zone           string
	start          time.Time
	cancel         context.CancelCauseFunc
	inClient, inZn *list.Element // nil once released
}

func newFairShare(total int, jostle time.Duration, now func() time.Time) *fairShare {
	return &fairShare{total: total, jostle: jostle, now: now,
		clients: map[netip.Addr]*list.List{}, zones: map[string]*list.List{}}
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
	s := &slot{client: client, zone: zone, start: now, cancel: cancel}
	s.inClient = pushTo(f.clients, client, s)
	s.inZn = pushTo(f.zones, zone, s)
	f.inUse++
	return ctx, func() {
		f.mu.Lock()
		f.release(s)
		f.mu.Unlock()
		cancel(nil)
	}, nil
}

func pushTo[K comparable](m map[K]*list.List, k K, s *slot) *list.Element {
	l := m[k]
	if l == nil {
		l = list.New()
		m[k] = l
	}
	return l.PushBack(s)
}

func removeFrom[K comparable](m map[K]*list.List, k K, e *list.Element) {
	l := m[k]
	l.Remove(e)
	if l.Len() == 0 {
		delete(m, k)
	}
}

// release frees s's slot once; under mu.
func (f *fairShare) release(s *slot) {
	if s.inClient == nil {
		return
	}
	removeFrom(f.clients, s.client, s.inClient)
	removeFrom(f.zones, s.zone, s.inZn)
	s.inClient, s.inZn = nil, nil
	f.inUse--
}

// jostleFor frees a slot for a query of client in zone, if fair; under mu.
// The busiest client or zone is found by a scan: it runs only when every
// slot is taken, and the maps hold at most total entries.
func (f *fairShare) jostleFor(client netip.Addr, zone string, now time.Time) bool {
	var victim *list.List
	most := 0
	for _, l := range f.clients {
		if l.Len() > most {
			victim, most = l, l.Len()
		}
	}
	for _, l := range f.zones {
		if l.Len() > most {
			victim, most = l, l.Len()
		}
	}
	if victim == nil {
		return false
	}
	mine := max(lenOf(f.clients[client]), lenOf(f.zones[zone]))
	oldest := victim.Front().Value.(*slot)
	if most <= mine+1 || now.Sub(oldest.start) < f.jostle {
		return false
	}
	f.release(oldest)
	oldest.cancel(errJostled)
	return true
}

func lenOf(l *list.List) int {
	if l == nil {
		return 0
	}
	return l.Len()
}
