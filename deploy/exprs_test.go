package deploy

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// An expr is one PromQL expression and where it came from, for messages.
type expr struct {
	where  string
	promQL string
}

// dashboard is the part of a Grafana dashboard the tests read.
type dashboard struct {
	SchemaVersion int     `json:"schemaVersion"`
	UID           string  `json:"uid"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []struct {
			Name       string `json:"name"`
			Type       string `json:"type"`
			Query      any    `json:"query"`
			Datasource any    `json:"datasource"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int            `json:"id"`
	Type       string         `json:"type"`
	Title      string         `json:"title"`
	Datasource map[string]any `json:"datasource"`
	GridPos    map[string]int `json:"gridPos"`
	Panels     []panel        `json:"panels"`
	Targets    []struct {
		RefID      string         `json:"refId"`
		Expr       string         `json:"expr"`
		Datasource map[string]any `json:"datasource"`
	} `json:"targets"`
}

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	data, err := os.ReadFile("grafana/cleandns.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("grafana/cleandns.json: %v", err)
	}
	return d
}

// flatPanels returns every panel, those nested in collapsed rows included.
func flatPanels(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, flatPanels(p.Panels)...)
	}
	return out
}

func dashboardExprs(t *testing.T) []expr {
	t.Helper()
	var out []expr
	for _, p := range flatPanels(loadDashboard(t).Panels) {
		for _, tg := range p.Targets {
			out = append(out, expr{fmt.Sprintf("dashboard panel %d %q target %s", p.ID, p.Title, tg.RefID), tg.Expr})
		}
	}
	if len(out) == 0 {
		t.Fatal("grafana/cleandns.json: no expressions found")
	}
	return out
}

// ruleFile is the part of a Prometheus rule file the tests read.
type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert  string `yaml:"alert"`
			Record string `yaml:"record"`
			Expr   string `yaml:"expr"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func alertExprs(t *testing.T) []expr {
	t.Helper()
	data, err := os.ReadFile("prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var rf ruleFile
	if err := yaml.Unmarshal(data, &rf); err != nil {
		t.Fatalf("prometheus/alerts.yml: %v", err)
	}
	var out []expr
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			out = append(out, expr{fmt.Sprintf("alert %s", r.Alert+r.Record), r.Expr})
		}
	}
	if len(out) == 0 {
		t.Fatal("prometheus/alerts.yml: no rules found")
	}
	return out
}

// grafanaVars are what the dashboard's variables stand for when its queries
// are checked outside Grafana: every job and instance, a 5m window.
var grafanaVars = strings.NewReplacer(
	"$__rate_interval", "5m",
	"$__interval", "1m",
	"$__range", "1h",
	"$job", ".+",
	"$instance", ".+",
)

// expand replaces the dashboard's variables; a variable it does not know is
// an error, since Grafana would leave it in the query.
func expand(e expr) (string, error) {
	s := grafanaVars.Replace(e.promQL)
	if strings.Contains(s, "$") {
		return "", fmt.Errorf("%s: unknown variable in %q", e.where, e.promQL)
	}
	return s, nil
}

var (
	stringLiteral = regexp.MustCompile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")
	// Every series cleandns exports starts with one of these prefixes; no
	// PromQL function, keyword or label of ours does.
	metricName = regexp.MustCompile(`\b(?:cleandns|process|go)_[A-Za-z0-9_:]*`)
)

// metricNames returns the series an expression names, ignoring string
// literals (label values such as result="forwarded").
func metricNames(promQL string) []string {
	return metricName.FindAllString(stringLiteral.ReplaceAllString(promQL, `""`), -1)
}
