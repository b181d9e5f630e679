package upstream

import (
	"math/rand/v2"
	"time"
)

// group is a set of upstreams under one strategy: the defaults or a zone's.
type group struct {
	zone     string // "" for the default group
	strategy string
	ups      []*upstream
}

// plan returns the upstreams to try, in order. Upstreams marked down are
// left out while any is up; when all are down, all are tried in their
// configured order (or none, with failFast). For fastest, the first two are
// raced. The caller must not modify the slice: with failover and every
// upstream up it is g.ups itself, so a miss allocates no plan.
func (g *group) plan(failFast bool) []*upstream {
	if g.strategy == StrategyFailover && g.allHealthy() {
		return g.ups
	}
	var up []*upstream
	for _, u := range g.ups {
		if u.healthy() {
			up = append(up, u)
		}
	}
	if len(up) == 0 {
		if failFast {
			return nil
		}
		return append([]*upstream(nil), g.ups...)
	}
	switch g.strategy {
	case StrategyRandom:
		rand.Shuffle(len(up), func(i, j int) { up[i], up[j] = up[j], up[i] })
	case StrategyFastest:
		pickWeighted(up, 2)
	}
	return up
}

func (g *group) allHealthy() bool {
	for _, u := range g.ups {
		if !u.healthy() {
			return false
		}
	}
	return true
}

// pickWeighted moves n upstreams to the front of ups, each drawn at random
// with a weight inversely proportional to its observed latency, so the
// faster is raced most often while the slower still gets measured (Blocky's
// parallel_best). An upstream not yet measured weighs as the fastest known.
func pickWeighted(ups []*upstream, n int) {
	fastest := time.Duration(0)
	for _, u := range ups {
		if l := u.latency(); l > 0 && (fastest == 0 || l < fastest) {
			fastest = l
		}
	}
	for i := 0; i < n && i < len(ups)-1; i++ {
		weights := make([]float64, len(ups)-i)
		total := 0.0
		for j, u := range ups[i:] {
			l := u.latency()
			if l <= 0 {
				l = max(fastest, time.Millisecond)
			}
			weights[j] = 1 / l.Seconds()
			total += weights[j]
		}
		x := rand.Float64() * total
		k := 0
		for k < len(weights)-1 && x >= weights[k] {
			x -= weights[k]
			k++
		}
		ups[i], ups[i+k] = ups[i+k], ups[i]
	}
}
