package deploy

import (
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cleandns/cleandns/dnssec"
	"github.com/cleandns/cleandns/metrics"
	"github.com/cleandns/cleandns/runstate"
)

// capture is a Registerer that keeps what metrics.New registers, so each
// collector can be looked at on its own.
type capture struct{ cs []prometheus.Collector }

func (c *capture) Register(col prometheus.Collector) error { c.cs = append(c.cs, col); return nil }
func (c *capture) MustRegister(cs ...prometheus.Collector) { c.cs = append(c.cs, cs...) }
func (c *capture) Unregister(prometheus.Collector) bool    { return false }

var (
	fqName         = regexp.MustCompile(`fqName: "([^"]+)"`)
	variableLabels = regexp.MustCompile(`variableLabels: \{([^}]*)\}`)
)

// A family is what a descriptor says: its name and label names.
type family struct {
	name   string
	labels []string
}

// exportedSeries returns every series name cleandns can export: the
// families metrics.New registers, histograms expanded to their _bucket,
// _sum and _count series, summaries to theirs. Labelled families are read
// from their descriptors (they export nothing until first used); the Go and
// process collectors are gathered, which also says which are summaries.
func exportedSeries(t *testing.T) map[string]bool {
	series, _ := exported(t)
	return series
}

// exported returns exportedSeries and every label name those series carry,
// with the ones Prometheus adds (job, instance) and le, quantile.
func exported(t *testing.T) (series, labels map[string]bool) {
	t.Helper()
	var c capture
	metrics.New(&c)
	dnssec.NewMetrics(&c)                                                             // registered beside metrics.New by the server
	runstate.NewSyncMetrics(&c, func() bool { return true }, func() int { return 0 }) // with sync.redis
	out := map[string]bool{}
	labels = map[string]bool{"job": true, "instance": true, "le": true, "quantile": true}
	others := prometheus.NewRegistry()
	for _, col := range c.cs {
		var suffixes []string
		switch col.(type) {
		case *prometheus.HistogramVec, prometheus.Histogram:
			suffixes = []string{"_bucket", "_sum", "_count"}
		case *prometheus.SummaryVec:
			suffixes = []string{"", "_sum", "_count"}
		case *prometheus.CounterVec, *prometheus.GaugeVec, prometheus.Counter, prometheus.Gauge:
			suffixes = []string{""}
		default:
			others.MustRegister(col)
			continue
		}
		for _, d := range describe(t, col) {
			for _, s := range suffixes {
				out[d.name+s] = true
			}
			for _, l := range d.labels {
				labels[l] = true
			}
		}
	}
	fams, err := others.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		name := f.GetName()
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = true
			}
		}
		switch f.GetType().String() {
		case "HISTOGRAM", "GAUGE_HISTOGRAM":
			out[name+"_bucket"], out[name+"_sum"], out[name+"_count"] = true, true, true
		case "SUMMARY":
			out[name], out[name+"_sum"], out[name+"_count"] = true, true, true
		default:
			out[name] = true
		}
	}
	return out, labels
}

func describe(t *testing.T, col prometheus.Collector) []family {
	t.Helper()
	ch := make(chan *prometheus.Desc, 16)
	go func() { col.Describe(ch); close(ch) }()
	var out []family
	for d := range ch {
		name, vars := fqName.FindStringSubmatch(d.String()), variableLabels.FindStringSubmatch(d.String())
		if name == nil || vars == nil {
			t.Fatalf("cannot read %s", d)
		}
		f := family{name: name[1]}
		if vars[1] != "" {
			f.labels = strings.Split(vars[1], ",")
		}
		out = append(out, f)
	}
	return out
}

func TestExportedSeriesIncludeTheContract(t *testing.T) {
	got := exportedSeries(t)
	for _, name := range []string{
		"cleandns_queries_total", "cleandns_request_duration_seconds_bucket",
		"cleandns_upstream_request_duration_seconds_count", "cleandns_config_last_reload_successful",
		"cleandns_blocking_enabled", "process_cpu_seconds_total", "go_gc_duration_seconds_count",
	} {
		if !got[name] {
			t.Errorf("%s not exported (have %d series)", name, len(got))
		}
	}
	if got["cleandns_queries_total_bucket"] {
		t.Error("a counter was expanded like a histogram")
	}
}

// TestExpressionsNameExportedSeries checks that every series the dashboard
// and the alert rules name is one cleandns exports, so no panel stays empty
// and no alert waits for a series that never comes.
func TestExpressionsNameExportedSeries(t *testing.T) {
	exported := exportedSeries(t)
	used := map[string]bool{}
	for _, e := range append(dashboardExprs(t), alertExprs(t)...) {
		names := metricNames(e.promQL)
		if len(names) == 0 {
			t.Errorf("%s: names no series: %s", e.where, e.promQL)
		}
		for _, n := range names {
			used[n] = true
			if !exported[n] {
				t.Errorf("%s: %s is not exported by cleandns", e.where, n)
			}
		}
	}
	var unused []string
	for n := range exported {
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_sum"), "_count")
		if strings.HasPrefix(n, "cleandns_") && !used[n] && !used[base+"_bucket"] && !used[base+"_count"] {
			unused = append(unused, n)
		}
	}
	if len(unused) > 0 {
		t.Logf("cleandns series on no panel and in no alert: %v", unused)
	}
}

var (
	grouping = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)`)
	matcher  = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)`)
	braces   = regexp.MustCompile(`\{[^}]*\}`)
)

// labelNames returns the label names an expression groups, joins or
// matches on.
func labelNames(promQL string) []string {
	s := stringLiteral.ReplaceAllString(promQL, `""`)
	var out []string
	for _, m := range grouping.FindAllStringSubmatch(s, -1) {
		for _, l := range strings.Split(m[1], ",") {
			if l = strings.TrimSpace(l); l != "" {
				out = append(out, l)
			}
		}
	}
	for _, b := range braces.FindAllString(s, -1) {
		for _, m := range matcher.FindAllStringSubmatch(b, -1) {
			out = append(out, m[1])
		}
	}
	return out
}

// TestExpressionsUseExportedLabels catches a misspelt label: sum by (lists)
// parses and returns data, but one unlabelled line.
func TestExpressionsUseExportedLabels(t *testing.T) {
	_, labels := exported(t)
	for _, e := range append(dashboardExprs(t), alertExprs(t)...) {
		for _, l := range labelNames(e.promQL) {
			if !labels[l] {
				t.Errorf("%s: label %q is on no series cleandns exports", e.where, l)
			}
		}
	}
}
