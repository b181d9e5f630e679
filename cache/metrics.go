package cache

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the series the cache updates. The metrics package defines
// them (their names are a contract); the wiring hands them in, so the cache
// knows no metrics package.
type Metrics struct {
	Hits      prometheus.Counter // fresh lookups
	Misses    prometheus.Counter // lookups that found nothing fresh
	Evictions prometheus.Counter // entries evicted to stay under the byte bound
	Entries   prometheus.Gauge
	Bytes     prometheus.Gauge
}

// NewMetrics returns unregistered collectors, for tests and tools that
// export nothing.
func NewMetrics() Metrics {
	c := func() prometheus.Counter { return prometheus.NewCounter(prometheus.CounterOpts{Name: "c"}) }
	g := func() prometheus.Gauge { return prometheus.NewGauge(prometheus.GaugeOpts{Name: "g"}) }
	return Metrics{Hits: c(), Misses: c(), Evictions: c(), Entries: g(), Bytes: g()}
}
