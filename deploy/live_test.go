package deploy

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cleandns/cleandns/dnssec"
	"github.com/cleandns/cleandns/metrics"
	"github.com/cleandns/cleandns/query"
)

// TestExpressionsReturnData runs a real Prometheus scraping the series
// metrics.New exports (every labelled family given a value, counters kept
// moving) and evaluates every dashboard expression through its HTTP API:
// each must run without error and return data, which a parse check cannot
// show (a join that matches nothing, a label Grafana would group by that
// no series carries). Alert expressions must run; they return nothing
// while all is well.
func TestExpressionsReturnData(t *testing.T) {
	bin := tool(t, "prometheus")
	target := fakeTarget(t)
	api := startPrometheus(t, bin, target)
	waitScrapes(t, api, 3)

	for _, e := range dashboardExprs(t) {
		q, err := expand(e)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := promQuery(api, q); err != nil {
			t.Errorf("%s: %v\n%s", e.where, err, q)
		} else if n == 0 {
			t.Errorf("%s: no data\n%s", e.where, q)
		}
	}
	for _, e := range alertExprs(t) {
		if _, err := promQuery(api, e.promQL); err != nil {
			t.Errorf("%s: %v\n%s", e.where, err, e.promQL)
		}
	}
}

// fakeTarget serves a registry from metrics.New with every labelled family
// given a series, as a cleandns that blocked, cached and forwarded would.
func fakeTarget(t *testing.T) string {
	t.Helper()
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	dm := dnssec.NewMetrics(reg)
	now := float64(time.Now().Unix())
	m.BlockedQueries.WithLabelValues("default", "builtin:apps-tiktok").Add(5)
	m.UpstreamHealthy.WithLabelValues("udp://9.9.9.9:53").Set(1)
	m.UpstreamErrors.WithLabelValues("udp://9.9.9.9:53", "timeout").Inc()
	m.BlocklistEntries.WithLabelValues("builtin:apps-tiktok").Set(120)
	m.BlocklistRegexRules.WithLabelValues("builtin:apps-tiktok").Set(2)
	m.BlocklistLastSuccess.WithLabelValues("builtin:apps-tiktok").Set(now)
	m.BlocklistRefreshErrors.WithLabelValues("builtin:apps-tiktok").Add(0)
	m.BlockingEnabled.WithLabelValues("default").Set(1)
	m.ConfigReloadSuccess.Set(1)
	m.ConfigReloadTimestamp.Set(now)
	m.BuildInfo.WithLabelValues("test", runtime.Version()).Set(1)

	tick := time.NewTicker(100 * time.Millisecond)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				traffic(m)
				dm.Observe(dnssec.Secure)
			}
		}
	}()
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(func() { tick.Stop(); close(done); srv.Close() })
	return srv.Listener.Addr().String()
}

// traffic is a tenth of a second of a busy resolver.
func traffic(m *metrics.Metrics) {
	for result, n := range map[string]int{query.Forwarded.String(): 5, query.Cached.String(): 8, query.Blocked.String(): 2, query.Servfail.String(): 1} {
		m.Queries.WithLabelValues("udp", "A", result).Add(float64(n))
		m.RequestDuration.WithLabelValues(result).Observe(0.001 * float64(n))
	}
	m.BlockedQueries.WithLabelValues("default", "builtin:apps-tiktok").Add(2)
	m.UpstreamDuration.WithLabelValues("udp://9.9.9.9:53", "udp").Observe(0.02)
	m.CacheHits.Add(8)
	m.CacheMisses.Add(5)
	m.CacheEntries.Set(100)
	m.CacheBytes.Set(64 << 10)
}

func startPrometheus(t *testing.T, bin, target string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: cleandns\n    static_configs:\n      - targets: [%q]\n", target)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr)
	logf, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = logf.Close()
		if t.Failed() {
			log, _ := os.ReadFile(logf.Name())
			t.Logf("prometheus log:\n%s", log)
		}
	})
	return "http://" + addr
}

// freeAddr returns a loopback address nothing listens on. Another process
// could take it before Prometheus does; then the test fails, not passes.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitScrapes waits until Prometheus holds n scrapes of the target, enough
// for rate() and increase().
func waitScrapes(t *testing.T, api string, n int) {
	t.Helper()
	q := fmt.Sprintf("count_over_time(cleandns_build_info[1m]) >= %d", n)
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := promQuery(api, q)
		if err == nil && got > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus at %s: no %d scrapes within 30s (last error: %v)", api, n, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// query runs an instant query and returns how many series it returned.
func promQuery(api, q string) (int, error) {
	resp, err := http.Get(api + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string            `json:"resultType"`
			Result     []json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return 0, fmt.Errorf("HTTP %d: %w", resp.StatusCode, err)
	}
	if r.Status != "success" {
		return 0, fmt.Errorf("prometheus: %s (HTTP %s)", r.Error, strconv.Itoa(resp.StatusCode))
	}
	if r.Data.ResultType == "scalar" {
		return 1, nil
	}
	return len(r.Data.Result), nil
}
