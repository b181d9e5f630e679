package upstream

import (
	"slices"
	"time"
)

// recentSamples is how many good exchanges an upstream's median and 95th
// percentile are read from: enough to say "usually 12 ms, sometimes 80",
// few enough that a change of route shows within a minute of queries.
const recentSamples = 128

// rttRing holds the round-trip times of an upstream's last good exchanges.
// Its owner's mutex guards it; adding costs a store, reading a sort.
type rttRing struct {
	buf  [recentSamples]time.Duration
	n    int // samples held, up to recentSamples
	next int // where the next sample goes
}

func (r *rttRing) add(d time.Duration) {
	r.buf[r.next] = d
	r.next = (r.next + 1) % len(r.buf)
	r.n = min(r.n+1, len(r.buf))
}

// Latency is the round-trip times of an upstream's recent good exchanges.
type Latency struct {
	P50     time.Duration `json:"p50_ns,omitempty"`
	P95     time.Duration `json:"p95_ns,omitempty"`
	Samples int           `json:"samples,omitempty"` // exchanges they are read from; 0: none yet
}

// latency reads the median and 95th percentile (nearest rank) of what r
// holds.
func (r *rttRing) latency() Latency {
	if r.n == 0 {
		return Latency{}
	}
	s := slices.Clone(r.buf[:r.n])
	slices.Sort(s)
	rank := func(p int) time.Duration { return s[(p*len(s)+99)/100-1] }
	return Latency{P50: rank(50), P95: rank(95), Samples: r.n}
}
