package resolver

import (
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cleandns/cleandns/metrics"
	"github.com/cleandns/cleandns/query"
)

// protocols are the transports whose series the edge keeps resolved.
var protocols = [...]string{query.ProtoUDP, query.ProtoTCP, query.ProtoDoT, query.ProtoDoH, query.ProtoDoQ}

func protocolIndex(p string) int {
	for i, s := range protocols {
		if s == p {
			return i
		}
	}
	return -1
}

// edgeMetrics keeps the per-query series resolved. WithLabelValues hashes
// and validates its labels and takes a lock on every call; on the hot path
// that cost as much as answering a cache hit. Series are resolved on first
// use, so /metrics shows only the ones that happened, as before.
type edgeMetrics struct {
	m         *metrics.Metrics
	queries   [len(protocols)][metrics.QTypeCount][query.ResultCount]atomic.Pointer[prometheus.Counter]
	durations [query.ResultCount]atomic.Pointer[prometheus.Observer]
	blocked   atomic.Pointer[map[blockedSeries]prometheus.Counter] // copied on write
	mu        sync.Mutex                                           // serialises those writes
}

type blockedSeries struct{ group, list string }

func newEdgeMetrics(m *metrics.Metrics) *edgeMetrics { return &edgeMetrics{m: m} }

// query counts one query. proto is protocolIndex(protocol), -1 for others.
func (em *edgeMetrics) query(proto int, protocol string, qtype uint16, r query.Result) {
	if proto < 0 || int(r) >= query.ResultCount {
		em.m.Queries.WithLabelValues(protocol, metrics.QType(qtype), r.String()).Inc()
		return
	}
	qt := metrics.QTypeIndex(qtype)
	slot := &em.queries[proto][qt][r]
	c := slot.Load()
	if c == nil {
		v := em.m.Queries.WithLabelValues(protocol, metrics.QTypeName(qt), r.String())
		c = &v
		slot.Store(c)
	}
	(*c).Inc()
}

// duration observes how long a query took, by result.
func (em *edgeMetrics) duration(r query.Result, seconds float64) {
	if int(r) >= query.ResultCount {
		em.m.RequestDuration.WithLabelValues(r.String()).Observe(seconds)
		return
	}
	slot := &em.durations[r]
	o := slot.Load()
	if o == nil {
		v := em.m.RequestDuration.WithLabelValues(r.String())
		o = &v
		slot.Store(o)
	}
	(*o).Observe(seconds)
}

// blockedQuery counts a blocked query by group and list. Both come from the
// config, so the map stays as small as the series.
func (em *edgeMetrics) blockedQuery(group, list string) {
	k := blockedSeries{group, list}
	if m := em.blocked.Load(); m != nil {
		if c, ok := (*m)[k]; ok {
			c.Inc()
			return
		}
	}
	c := em.m.BlockedQueries.WithLabelValues(group, list)
	c.Inc()
	em.mu.Lock()
	defer em.mu.Unlock()
	next := map[blockedSeries]prometheus.Counter{k: c}
	if m := em.blocked.Load(); m != nil {
		for k, v := range *m {
			next[k] = v
		}
	}
	em.blocked.Store(&next)
}
