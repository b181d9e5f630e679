// Package deploy holds no code: its tests prove the Grafana dashboard,
// the Prometheus config and the alert rules against promtool and against
// the series cleandns exports, since Grafana cannot run in CI.
package deploy

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// promtool returns the path of promtool; see tool.
func promtool(t *testing.T) string { return tool(t, "promtool") }

// tool returns the path of a program of Debian's prometheus package.
// Without it the test skips on a developer's machine but fails in CI
// (CI=true), where .ci/run installs the package: a proof that silently
// skips proves nothing.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	msg := name + " not found (apt-get install prometheus): dashboard and alert expressions not checked"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + "; CI=true, so this fails instead of skipping")
	}
	t.Skip(msg)
	return ""
}

func runPromtool(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command(promtool(t), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s (in %s): %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	t.Logf("promtool %s: %s", strings.Join(args, " "), strings.TrimSpace(string(out)))
}

// TestExpressionsParse writes every expression of the dashboard and the
// alert rules as a recording rule and has promtool check the file, so a
// PromQL error in a panel is caught without Grafana.
func TestExpressionsParse(t *testing.T) {
	all := append(dashboardExprs(t), alertExprs(t)...)
	var b strings.Builder
	b.WriteString("groups:\n  - name: dashboard_and_alerts\n    rules:\n")
	for i, e := range all {
		q, err := expand(e)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "      # %s\n      - record: cleandns_check:expr_%d\n        expr: %q\n", e.where, i, q)
	}
	file := filepath.Join(t.TempDir(), "exprs.yml")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	runPromtool(t, ".", "check", "rules", file)
	t.Logf("%d expressions checked", len(all))
}

func TestAlertRules(t *testing.T) {
	runPromtool(t, "prometheus", "check", "rules", "alerts.yml")
	// alerts_test.yml feeds each alert the series that should fire it.
	runPromtool(t, "prometheus", "test", "rules", "alerts_test.yml")
}

// TestPrometheusConfig runs from the config's own directory, as the
// container does, so its relative rule_files entry resolves.
func TestPrometheusConfig(t *testing.T) {
	runPromtool(t, "prometheus", "check", "config", "prometheus.yml")
}

// TestPromtoolRejectsBadPromQL makes sure the check above can fail: promtool
// must reject a rule file with a broken expression.
func TestPromtoolRejectsBadPromQL(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bad.yml")
	bad := "groups:\n  - name: bad\n    rules:\n      - record: x:y\n        expr: 'sum(rate(cleandns_queries_total[5m])'\n"
	if err := os.WriteFile(file, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(promtool(t), "check", "rules", file).CombinedOutput()
	if err == nil {
		t.Fatalf("promtool accepted a broken expression:\n%s", out)
	}
}
