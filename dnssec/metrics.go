package dnssec

import "github.com/prometheus/client_golang/prometheus"

// Metrics counts validated answers by state.
type Metrics struct {
	answers *prometheus.CounterVec
}

// NewMetrics registers cleandns_dnssec_answers_total{state} on reg, with
// every state's series created at zero so dashboards see them at once.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{answers: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cleandns_dnssec_answers_total",
		Help: "Upstream answers validated, by DNSSEC state (secure, insecure, indeterminate, bogus); cache hits are not counted again.",
	}, []string{"state"})}
	for _, s := range States {
		m.answers.WithLabelValues(s.String())
	}
	reg.MustRegister(m.answers)
	return m
}

// Observe counts one validated answer.
func (m *Metrics) Observe(s State) { m.answers.WithLabelValues(s.String()).Inc() }
