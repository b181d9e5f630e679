package deploy

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestDashboardShape checks what Grafana needs to import and provision the
// dashboard: the data source variable every panel uses, the job and
// instance variables every series selector honours, unique panel ids.
func TestDashboardShape(t *testing.T) {
	d := loadDashboard(t)
	if d.SchemaVersion < 36 || d.UID == "" {
		t.Errorf("schemaVersion %d, uid %q: want >= 36 and a fixed uid", d.SchemaVersion, d.UID)
	}
	vars := map[string]string{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v.Type
	}
	for name, typ := range map[string]string{"DS_PROMETHEUS": "datasource", "job": "query", "instance": "query"} {
		if vars[name] != typ {
			t.Errorf("template variable %s: type %q, want %q", name, vars[name], typ)
		}
	}
	ids := map[int]bool{}
	for _, p := range flatPanels(d.Panels) {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		if p.GridPos["w"] == 0 || p.GridPos["h"] == 0 {
			t.Errorf("panel %d %q: no size", p.ID, p.Title)
		}
		if p.Type == "row" {
			continue
		}
		if p.Datasource["uid"] != "${DS_PROMETHEUS}" || len(p.Targets) == 0 {
			t.Errorf("panel %d %q: datasource %v, %d targets", p.ID, p.Title, p.Datasource, len(p.Targets))
		}
		for _, tg := range p.Targets {
			if tg.Datasource["uid"] != "${DS_PROMETHEUS}" {
				t.Errorf("panel %d %q target %s: datasource %v", p.ID, p.Title, tg.RefID, tg.Datasource)
			}
		}
	}
}

var selector = regexp.MustCompile(`\b((?:cleandns|process|go)_[A-Za-z0-9_:]*)(\{[^}]*\})?`)

// TestDashboardSelectorsFilter checks that every series a panel reads is
// filtered by the job and instance variables, or the panel would mix in
// every cleandns Prometheus scrapes.
func TestDashboardSelectorsFilter(t *testing.T) {
	for _, e := range dashboardExprs(t) {
		for _, m := range selector.FindAllStringSubmatch(e.promQL, -1) {
			if !strings.Contains(m[2], `job=~"$job"`) || !strings.Contains(m[2], `instance=~"$instance"`) {
				t.Errorf("%s: %s%s is not filtered by $job and $instance", e.where, m[1], m[2])
			}
		}
	}
}

func TestMetricNames(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`sum by (result) (rate(cleandns_queries_total{result="servfail"}[5m]))`, "cleandns_queries_total"},
		{`cleandns_a{x="cleandns_b"} / on (list) go_goroutines`, "cleandns_a go_goroutines"},
		{`histogram_quantile(0.9, sum by (le) (rate(cleandns_x_bucket[5m])))`, "cleandns_x_bucket"},
		{`label_values(cleandns_build_info, job)`, "cleandns_build_info"},
		{`vector(1)`, ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got := metricNames(tc.in)
			if want := strings.Fields(tc.want); !slices.Equal(got, want) {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

func TestLabelNames(t *testing.T) {
	got := labelNames(`sum by (list, group) (rate(x{job=~"$job", result!="a,b"}[5m])) / ignoring(list) group_left() sum(y)`)
	if want := []string{"list", "group", "list", "job", "result"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
