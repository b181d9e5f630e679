package resolver

import (
	"context"
	"testing"

	"github.com/cleandns/cleandns/query"
)

// recheckNone is a cache that never has the answer a resumed query looks for.
type recheckNone struct{}

func (recheckNone) Recheck(*query.Request) (*query.Response, bool) { return nil, false }

// TestChainedStopSuspendsWithoutAllocating checks an inline run suspended at
// the stop of a chain costs no allocation for what it has left (the cache's
// second look and the links after the stop), and that the rest it kept runs
// those links when resumed.
func TestChainedStopSuspendsWithoutAllocating(t *testing.T) {
	for _, tc := range []struct {
		name string
		stop inlineStop
	}{
		{"with a cache", inlineStop{recheck: recheckNone{}}},
		{"without a cache", inlineStop{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ran := 0
			final := HandlerFunc(func(context.Context, *query.Request) (*query.Response, error) {
				ran++
				return &query.Response{Result: query.Forwarded}, nil
			})
			h := Chain(final, tc.stop)
			req := new(query.Request)
			if n := testing.AllocsPerRun(100, func() {
				req.Inline = true
				if _, err := h.Resolve(context.Background(), req); err != ErrWouldBlock || !req.Suspended() {
					t.Fatalf("inline run: %v, suspended %v; want ErrWouldBlock, suspended", err, req.Suspended())
				}
				req.Suspend(nil) // as if resumed: the next run suspends afresh
			}); n != 0 {
				t.Errorf("%v allocations suspending, want 0", n)
			}
			req.Inline = true
			if _, err := h.Resolve(context.Background(), req); err != ErrWouldBlock {
				t.Fatalf("inline run: %v, want ErrWouldBlock", err)
			}
			resp, err := req.Resume(context.Background(), nil)
			if err != nil || resp == nil || resp.Result != query.Forwarded || ran != 1 {
				t.Errorf("resumed: %+v, %v, the links after the stop ran %d times; want forwarded, once", resp, err, ran)
			}
		})
	}
}
