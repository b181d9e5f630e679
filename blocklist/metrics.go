package blocklist

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the series the Manager updates, each by list name. The
// metrics package defines them (their names are a contract); the wiring
// hands them in, so a list engine knows no metrics package.
type Metrics struct {
	Entries       *prometheus.GaugeVec   // rules loaded
	RegexRules    *prometheus.GaugeVec   // regular-expression rules
	LastSuccess   *prometheus.GaugeVec   // Unix time of the last good load
	RefreshErrors *prometheus.CounterVec // failed loads or refreshes
	ShrinkWarning *prometheus.GaugeVec   // 1 while the last load shrank beyond the threshold
	Refused       *prometheus.CounterVec // downloads refused, by list and reason
}

// NewMetrics returns unregistered collectors, for tests and tools that
// export nothing.
func NewMetrics() *Metrics {
	g := func() *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "g"}, []string{"list"})
	}
	return &Metrics{Entries: g(), RegexRules: g(), LastSuccess: g(), ShrinkWarning: g(),
		RefreshErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "c"}, []string{"list"}),
		Refused:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "r"}, []string{"list", "reason"})}
}
