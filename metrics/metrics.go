// Package metrics defines every Prometheus series cleandns exports.
//
// The names and labels here are a contract with users' dashboards and alert
// rules: later work may add series, never rename them. No series carries a
// client address or a domain name as a label, so cardinality stays bounded.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

const namespace = "cleandns"

// Metrics holds the collectors. It is created once per process from a
// registry the caller owns (never the global one) and handed to components.
type Metrics struct {
	Queries         *prometheus.CounterVec   // protocol, qtype, result
	BlockedQueries  *prometheus.CounterVec   // group, list
	RequestDuration *prometheus.HistogramVec // result

	UpstreamDuration *prometheus.HistogramVec // upstream, protocol
	UpstreamErrors   *prometheus.CounterVec   // upstream, reason
	UpstreamHealthy  *prometheus.GaugeVec     // upstream
	UpstreamDedup    prometheus.Counter
	UpstreamRejected prometheus.Counter
	UpstreamLoops    prometheus.Counter

	BlocklistEntries       *prometheus.GaugeVec   // list
	BlocklistLastSuccess   *prometheus.GaugeVec   // list
	BlocklistRefreshErrors *prometheus.CounterVec // list
	BlocklistRegexRules    *prometheus.GaugeVec   // list
	BlocklistShrinkWarning *prometheus.GaugeVec   // list
	BlocklistRefused       *prometheus.CounterVec // list, reason

	BlockingEnabled *prometheus.GaugeVec // group

	CacheHits        prometheus.Counter
	CacheMisses      prometheus.Counter
	CacheStaleServed prometheus.Counter
	CachePrefetches  prometheus.Counter
	CacheEvictions   prometheus.Counter
	CacheEntries     prometheus.Gauge
	CacheBytes       prometheus.Gauge

	ConfigReloadSuccess   prometheus.Gauge
	ConfigReloadTimestamp prometheus.Gauge

	QueryLogDropped *prometheus.CounterVec // by reason: overflow, write_error, unavailable, closed

	PanicsRecovered *prometheus.CounterVec // where: pipeline, background

	BuildInfo *prometheus.GaugeVec // version, goversion
}

// New creates the collectors and registers them, with the Go and process
// collectors, on reg.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Queries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "queries_total",
			Help: "DNS queries answered, by transport, query type and how they ended.",
		}, []string{"protocol", "qtype", "result"}),
		BlockedQueries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "blocked_queries_total",
			Help: "Queries blocked, by client group and the list whose rule matched.",
		}, []string{"group", "list"}),
		RequestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "request_duration_seconds",
			Help:    "Time from receiving a query to having its answer, by result.",
			Buckets: DurationBuckets,
		}, []string{"result"}),
		UpstreamDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "upstream_request_duration_seconds",
			Help:    "Duration of exchanges with upstream resolvers.",
			Buckets: DurationBuckets,
		}, []string{"upstream", "protocol"}),
		UpstreamErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "upstream_errors_total",
			Help: "Failed upstream exchanges, by upstream and reason.",
		}, []string{"upstream", "reason"}),
		UpstreamHealthy: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "upstream_healthy",
			Help: "1 while an upstream is considered healthy, 0 while it is marked down.",
		}, []string{"upstream"}),
		UpstreamDedup: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "upstream_deduplicated_total",
			Help: "Queries that shared an identical in-flight upstream exchange instead of starting one.",
		}),
		UpstreamRejected: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "upstream_rejected_total",
			Help: "Queries refused an upstream exchange because the concurrency cap was reached.",
		}),
		UpstreamLoops: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "upstream_loops_detected_total",
			Help: "Start-up loop probes that came back to this server.",
		}),
		BlocklistEntries: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "blocklist_entries",
			Help: "Rules loaded from each list.",
		}, []string{"list"}),
		BlocklistLastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "blocklist_last_success_timestamp_seconds",
			Help: "Unix time of the last successful load of each list.",
		}, []string{"list"}),
		BlocklistRefreshErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "blocklist_refresh_errors_total",
			Help: "Failed loads or refreshes of each list (the previous copy kept serving).",
		}, []string{"list"}),
		BlocklistRegexRules: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "blocklist_regex_rules",
			Help: "Regular-expression rules in each list (they are slower than domain rules).",
		}, []string{"list"}),
		BlocklistShrinkWarning: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "blocklist_shrink_warning",
			Help: "1 while a list's last load lost more than blocking.shrink_warn_percent of its entries.",
		}, []string{"list"}),
		BlocklistRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "blocklist_downloads_refused_total",
			Help: "Downloads answered 200 whose body cannot be the list (no rules, mostly invalid, HTML, gzip), refused; the previous copy kept serving.",
		}, []string{"list", "reason"}),
		BlockingEnabled: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "blocking_enabled",
			Help: "1 while blocking applies to a client group, 0 while it is paused or switched off.",
		}, []string{"group"}),
		CacheHits:        counter("cache_hits_total", "Queries answered from the cache (fresh)."),
		CacheMisses:      counter("cache_misses_total", "Queries not found fresh in the cache."),
		CacheStaleServed: counter("cache_stale_served_total", "Expired answers served because upstreams failed (RFC 8767)."),
		CachePrefetches:  counter("cache_prefetches_total", "Popular entries refreshed before they expired."),
		CacheEvictions:   counter("cache_evictions_total", "Entries evicted to stay under the byte bound."),
		CacheEntries: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "cache_entries", Help: "Entries in the cache.",
		}),
		CacheBytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "cache_bytes", Help: "Approximate bytes held by the cache.",
		}),
		ConfigReloadSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "config_last_reload_successful",
			Help: "1 when the last config load or reload succeeded, 0 when it was rejected.",
		}),
		ConfigReloadTimestamp: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "config_last_reload_timestamp_seconds",
			Help: "Unix time of the last successful config load or reload.",
		}),
		QueryLogDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "querylog_dropped_total",
			Help: "Query log records lost, by reason: overflow (buffer full, the oldest gave way), write_error (the store failed, e.g. a full disk), unavailable (the log could not be opened), closed. The queries were answered.",
		}, []string{"reason"}),
		PanicsRecovered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "panics_recovered_total",
			Help: "Panics recovered while answering a query (pipeline) or in work started on a query's behalf (background); each one is a bug to report.",
		}, []string{"where"}),
		BuildInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "build_info",
			Help: "Always 1; labels say which build is running.",
		}, []string{"version", "goversion"}),
	}
	reg.MustRegister(
		m.Queries, m.BlockedQueries, m.RequestDuration,
		m.UpstreamDuration, m.UpstreamErrors, m.UpstreamHealthy, m.UpstreamDedup, m.UpstreamRejected, m.UpstreamLoops,
		m.BlocklistEntries, m.BlocklistLastSuccess, m.BlocklistRefreshErrors, m.BlocklistRegexRules,
		m.BlocklistShrinkWarning, m.BlocklistRefused,
		m.BlockingEnabled,
		m.CacheHits, m.CacheMisses, m.CacheStaleServed, m.CachePrefetches, m.CacheEvictions, m.CacheEntries, m.CacheBytes,
		m.ConfigReloadSuccess, m.ConfigReloadTimestamp,
		m.QueryLogDropped,
		m.PanicsRecovered,
		m.BuildInfo,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	for _, reason := range []string{"overflow", "write_error", "unavailable", "closed"} {
		m.QueryLogDropped.WithLabelValues(reason) // exported at 0 from the start
	}
	for _, where := range []string{"pipeline", "background"} {
		m.PanicsRecovered.WithLabelValues(where)
	}
	return m
}

// NewUnregistered returns collectors on a throwaway registry, for tests and
// tools that need a *Metrics but export nothing.
func NewUnregistered() *Metrics { return New(prometheus.NewRegistry()) }

// DurationBuckets span 50 µs (a cache hit) to 5 s (the upstream deadline).
var DurationBuckets = []float64{
	0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
	0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
}

func counter(name, help string) prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help})
}
