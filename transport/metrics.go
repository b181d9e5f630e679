package transport

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the listeners' connection series, registered on the
// registerer the process gives NewMetrics (never the global one).
type Metrics struct {
	// Open is cleandns_connections_open{protocol}: connections being served.
	Open *prometheus.GaugeVec
	// Rejected is cleandns_connections_rejected_total{protocol,reason}:
	// connections closed before serving a query, because the listener was at
	// its cap ("limit") or the TLS handshake failed ("handshake").
	Rejected *prometheus.CounterVec
}

// NewMetrics registers the connection series on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := unregisteredMetrics()
	for _, c := range []prometheus.Collector{m.Open, m.Rejected} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register connection metrics: %w", err)
		}
	}
	return m, nil
}

func unregisteredMetrics() *Metrics {
	return &Metrics{
		Open: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "cleandns_connections_open",
			Help: "Stream connections (TCP, DoT, DoH, DoQ) being served, by protocol.",
		}, []string{"protocol"}),
		Rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cleandns_connections_rejected_total",
			Help: "Connections closed before serving a query, by protocol and reason (limit, handshake).",
		}, []string{"protocol", "reason"}),
	}
}
