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
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := fakeclock.New(time.Unix(1e9, 0))
			f := newFairShare(4, DefaultJostle, clock.Now)
			var held []context.Context
			for range 4 {
				ctx, _, err := f.acquire(context.Background(), flooder, "r.dead.example.")
				if err != nil {
					t.Fatal(err)
				}
				held = append(held, ctx)
			}
			clock.Advance(tt.wait)
			_, release, err := f.acquire(context.Background(), tt.client, tt.qname)
			if !errors.Is(err, tt.want) {
				t.Fatalf("acquire: %v, want %v", err, tt.want)
			}
			if err == nil {
				release()
			}
			if got := context.Cause(held[0]) == errJostled; got != tt.jostled {
				t.Errorf("oldest query jostled: %v, want %v", got, tt.jostled)
			}
			for _, ctx := range held[1:] {
				if ctx.Err() != nil {
					t.Error("a query other than the oldest was cancelled")
				}
			}
		})
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
