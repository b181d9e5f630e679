package upstream

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the series the forwarder updates. The metrics package defines
// them (their names are a contract); the wiring hands them in, so upstream
// knows no metrics package.
type Metrics struct {
	Duration *prometheus.HistogramVec // upstream, protocol
	Errors   *prometheus.CounterVec   // upstream, reason
	Healthy  *prometheus.GaugeVec     // upstream
	Rejected prometheus.Counter       // queries refused an exchange at the concurrency cap
	Loops    prometheus.Counter       // start-up loop probes that came back
}

// NewMetrics returns unregistered collectors, for tests and tools that
// export nothing.
func NewMetrics() *Metrics {
	return &Metrics{
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "d"}, []string{"upstream", "protocol"}),
		Errors:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "e"}, []string{"upstream", "reason"}),
		Healthy:  prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "h"}, []string{"upstream"}),
		Rejected: prometheus.NewCounter(prometheus.CounterOpts{Name: "r"}),
		Loops:    prometheus.NewCounter(prometheus.CounterOpts{Name: "l"}),
	}
}
