package upstream

import (
	"slices"
	"testing"
)

// TestPlanFailover checks the failover plan: the configured order without
// the upstreams down, all of them (or none, fail-fast) when all are down,
// and no allocation when all are up.
func TestPlanFailover(t *testing.T) {
	tests := []struct {
		name     string
		down     []bool
		failFast bool
		want     []int
	}{
		{"all up", []bool{false, false, false}, false, []int{0, 1, 2}},
		{"first down", []bool{true, false, false}, false, []int{1, 2}},
		{"middle down", []bool{false, true, false}, false, []int{0, 2}},
		{"all down", []bool{true, true, true}, false, []int{0, 1, 2}},
		{"all down, fail fast", []bool{true, true, true}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &group{strategy: StrategyFailover}
			for _, d := range tt.down {
				g.ups = append(g.ups, &upstream{down: d})
			}
			var got []int
			for _, u := range g.plan(tt.failFast) {
				got = append(got, slices.Index(g.ups, u))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("plan %v, want %v", got, tt.want)
			}
		})
	}
	g := &group{strategy: StrategyFailover, ups: []*upstream{{}, {}}}
	if n := testing.AllocsPerRun(100, func() { _ = g.plan(false) }); n != 0 {
		t.Errorf("plan with every upstream up: %v allocations, want 0", n)
	}
}
