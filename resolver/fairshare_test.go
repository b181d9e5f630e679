package resolver

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/cleandns/cleandns/internal/fakeclock"
)

// TestFairShareJostles fills 4 slots with one client's queries in one zone,
// then checks who may take a slot: nobody before the jostle timeout, a
// less busy client or zone after it (the busiest's oldest query is
// cancelled with errJostled), and never the busiest client itself.
func TestFairShareJostles(t *testing.T) {
	flooder := netip.MustParseAddr("10.0.0.1")
	other := netip.MustParseAddr("10.0.0.2")
	tests := []struct {
		name    string
		client  netip.Addr
		qname   string
		wait    time.Duration
		want    error
		jostled bool
	}{
		{"other client before the jostle timeout", other, "a.good.example.", 100 * time.Millisecond, errUpstreamFull, false},
		{"other client after it", other, "a.good.example.", DefaultJostle, nil, true},
		{"same client, other zone, after it", flooder, "b.good.example.", DefaultJostle, errUpstreamFull, false},
		{"other client, same zone, after it", other, "x.dead.example.", DefaultJostle, errUpstreamFull, false},
	}
	parents := map[string]func() context.Context{
		"never cancelled": context.Background,
		"cancellable": func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			t.Cleanup(cancel)
			return ctx
		},
	}
	for pname, parent := range parents {
		for _, tt := range tests {
			t.Run(pname+"/"+tt.name, func(t *testing.T) {
				clock := fakeclock.New(time.Unix(1e9, 0))
				f := newFairShare(4, DefaultJostle, clock.Now)
				var held []*slot
				for range 4 {
					s, err := f.acquire(parent(), flooder, "r.dead.example.")
					if err != nil {
						t.Fatal(err)
					}
					held = append(held, s)
				}
				clock.Advance(tt.wait)
				s, err := f.acquire(parent(), tt.client, tt.qname)
				if !errors.Is(err, tt.want) {
					t.Fatalf("acquire: %v, want %v", err, tt.want)
				}
				if err == nil {
					f.release(s)
				}
				oldest := held[0]
				if got := oldest.Jostled(); got != tt.jostled {
					t.Errorf("oldest query jostled: %v, want %v", got, tt.jostled)
				}
				select {
				case <-oldest.ctx().Done():
					if !tt.jostled || !errors.Is(oldest.ctx().Err(), context.Canceled) {
						t.Errorf("oldest query's context ended (%v) but it was not jostled", oldest.ctx().Err())
					}
				default:
					if tt.jostled {
						t.Error("the jostled query's context did not end")
					}
				}
				for _, s := range held[1:] {
					if s.ctx().Err() != nil {
						t.Error("a query other than the oldest was cancelled")
					}
				}
				for _, s := range held {
					f.release(s)
				}
				if f.inUse != 0 || len(f.clients) != 0 || len(f.zones) != 0 {
					t.Errorf("after every release: %d in use, %d clients, %d zones", f.inUse, len(f.clients), len(f.zones))
				}
			})
		}
	}
}

// TestFairShareParentCancels checks an exchange under a cancellable parent
// ends with it, and one under a parent never cancelled costs two
// allocations besides finding its zone: the slot and its channel.
func TestFairShareParentCancels(t *testing.T) {
	f := newFairShare(4, DefaultJostle, time.Now)
	client := netip.MustParseAddr("10.0.0.1")
	parent, cancel := context.WithCancel(context.Background())
	s, err := f.acquire(parent, client, "a.example.")
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	<-s.ctx().Done()
	if s.Jostled() || !errors.Is(s.ctx().Err(), context.Canceled) {
		t.Errorf("jostled %v, err %v; want a cancelled exchange, not jostled", s.Jostled(), s.ctx().Err())
	}
	f.release(s)
	zone := testing.AllocsPerRun(100, func() { _ = zoneOf("a.b.example.") }) // publicsuffix's own
	if n := testing.AllocsPerRun(100, func() {
		s, _ := f.acquire(context.Background(), client, "a.b.example.")
		f.release(s)
	}); n > 2+zone {
		t.Errorf("%v allocations an exchange, %v of them the zone's; want 2 besides the zone's", n, zone)
	}
}

func TestZoneOf(t *testing.T) {
	for name, want := range map[string]string{
		"a.b.example.com.":   "example.com",
		"x.y.co.uk.":         "y.co.uk",
		"r123.dead.example.": "dead.example",
		"com.":               "com",
		".":                  "",
	} {
		if got := zoneOf(name); got != want {
			t.Errorf("zoneOf(%q) = %q, want %q", name, got, want)
		}
	}
}
