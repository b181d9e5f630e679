package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/api"
	"github.com/cleandns/cleandns/config"
	"github.com/cleandns/cleandns/internal/dnstest"
	"github.com/cleandns/cleandns/querylog"
)

// useTempState keeps a test's query log and allow list in its own
// directory, unless the config names them, instead of the user's state dir.
func useTempState(t testing.TB, cfg *config.Config) {
	t.Helper()
	dir := t.TempDir()
	if cfg.QueryLog.Path == "" {
		cfg.QueryLog.Path = filepath.Join(dir, "querylog.db")
	}
	if cfg.HTTP.AllowFile == "" {
		cfg.HTTP.AllowFile = filepath.Join(dir, "allow.json")
	}
}

const testAdminToken = "test-admin-token"

// adminClient boots a server with an admin token and returns it with an
// API client for it.
func adminClient(t *testing.T, yaml string) (*Server, *api.Client) {
	t.Helper()
	s := boot(t, yaml+"http:\n  admin_token: "+testAdminToken+"\n")
	return s, &api.Client{Server: "http://" + s.HTTPAddr(), Token: testAdminToken}
}

func rcodeOf(t *testing.T, addr, name string) int {
	t.Helper()
	return ask(t, "udp", addr, name, dns.TypeA, true).Rcode
}

func TestAPIPauseAndResumeChangeAnswers(t *testing.T) {
	var hits atomic.Int64
	up := dnstest.NewServer(t, answerA(&hits))
	s, c := adminClient(t, upstreamYAML(up))
	addr, ctx := s.Addrs()[0], context.Background()

	if rc := rcodeOf(t, addr, "tiktok.com."); rc != dns.RcodeNameError {
		t.Fatalf("before pause: %s, want NXDOMAIN", dns.RcodeToString[rc])
	}
	res, err := c.Pause(ctx, 5*time.Minute, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := res.Paused[""]; !ok {
		t.Errorf("pause answered %+v, want everyone paused", res)
	}
	if rc := rcodeOf(t, addr, "tiktok.com."); rc != dns.RcodeSuccess {
		t.Fatalf("while paused: %s, want the upstream's answer", dns.RcodeToString[rc])
	}
	st, err := c.Status(ctx)
	if err != nil || len(st.Blocking.Paused) != 1 || len(st.Lists) == 0 || len(st.Upstreams) != 1 {
		t.Errorf("status while paused = %+v, %v", st, err)
	}
	if _, err := c.Resume(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if rc := rcodeOf(t, addr, "tiktok.com."); rc != dns.RcodeNameError {
		t.Fatalf("after resume: %s, want NXDOMAIN", dns.RcodeToString[rc])
	}
	var apiErr *api.Error
	if _, err := c.Pause(ctx, time.Minute, "nosuchgroup"); !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest {
		t.Errorf("pause of an unknown group: %v", err)
	}
}

func TestAllowEntryUnblocksAndSurvivesRestart(t *testing.T) {
	var hits atomic.Int64
	up := dnstest.NewServer(t, answerA(&hits))
	allow := filepath.Join(t.TempDir(), "allow.json")
	yaml := upstreamYAML(up) + "cache:\n  enabled: false\n"
	ctx := context.Background()

	// boot2 starts a server over the shared allow file; called twice, it
	// is a restart.
	boot2 := func() (*Server, *api.Client) {
		cfg, err := config.Load(config.Source{Name: "t", Data: []byte(yaml)},
			config.Overrides{Listen: []string{"127.0.0.1:0"}, HTTP: "127.0.0.1:0"})
		if err != nil {
			t.Fatal(err)
		}
		cfg.HTTP.AdminToken, cfg.HTTP.AllowFile = testAdminToken, allow
		useTempState(t, cfg)
		s, err := New(cfg, Deps{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
		return s, &api.Client{Server: "http://" + s.HTTPAddr(), Token: testAdminToken}
	}
	first, c1 := boot2()
	if rc := rcodeOf(t, first.Addrs()[0], "www.tiktok.com."); rc != dns.RcodeNameError {
		t.Fatalf("before allow: %s", dns.RcodeToString[rc])
	}
	if _, err := c1.AllowAdd(ctx, "tiktok.com"); err != nil {
		t.Fatal(err)
	}
	if rc := rcodeOf(t, first.Addrs()[0], "www.tiktok.com."); rc != dns.RcodeSuccess {
		t.Fatalf("after allow: %s, want the upstream's answer", dns.RcodeToString[rc])
	}
	ex, err := c1.Explain(ctx, "www.tiktok.com", "")
	if err != nil || !ex.Allowed || ex.Blocked {
		t.Errorf("explain after allow = %+v, %v", ex, err)
	}
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := first.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}

	second, c2 := boot2() // a restart: a new server over the same allow file
	t.Cleanup(func() { _ = second.Shutdown(context.Background()) })
	if rc := rcodeOf(t, second.Addrs()[0], "www.tiktok.com."); rc != dns.RcodeSuccess {
		t.Fatalf("after restart: %s, want still allowed", dns.RcodeToString[rc])
	}
	if err := c2.AllowRemove(ctx, "tiktok.com"); err != nil {
		t.Fatal(err)
	}
	if rc := rcodeOf(t, second.Addrs()[0], "www.tiktok.com."); rc != dns.RcodeNameError {
		t.Fatalf("after removal: %s, want NXDOMAIN", dns.RcodeToString[rc])
	}
}

func TestQueryLogOverTheAPI(t *testing.T) {
	var hits atomic.Int64
	up := dnstest.NewServer(t, answerA(&hits))
	s, c := adminClient(t, upstreamYAML(up))
	addr, ctx := s.Addrs()[0], context.Background()
	for _, name := range []string{"tiktok.com.", "example.com.", "tiktok.com."} {
		ask(t, "udp", addr, name, dns.TypeA, true)
	}
	var recs []querylog.Record
	eventually(t, func() bool {
		_ = s.qlog.Flush(ctx)
		var err error
		recs, err = c.QueryLog(ctx, api.QueryLogParams{Name: "tiktok", Client: "127.0.0.1", Since: "1h"})
		return err == nil && len(recs) == 2
	})
	if len(recs) != 2 || recs[0].Result != "blocked" || !strings.Contains(recs[0].List, "tiktok") || recs[0].Rcode != dns.RcodeNameError {
		t.Errorf("query log = %+v", recs)
	}
	top, err := c.Top(ctx, "blocked", "1h", 5)
	if err != nil || len(top) != 1 || top[0].Key != "tiktok.com." || top[0].Count != 2 {
		t.Errorf("top blocked = %+v, %v", top, err)
	}
	if n, err := c.FlushCache(ctx); err != nil || n < 1 {
		t.Errorf("cache flush = %d, %v (example.com. was cached)", n, err)
	}
}

func TestQueryLogFloodDropsRecordsNotQueries(t *testing.T) {
	var hits atomic.Int64
	up := dnstest.NewServer(t, answerA(&hits))
	s := boot(t, upstreamYAML(up)+"querylog:\n  buffer: 1\n  batch_size: 1\n")
	addr := s.Addrs()[0]
	const n = 300
	done := make(chan int, 8)
	for w := 0; w < 8; w++ {
		go func() {
			answered := 0
			c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
			for i := 0; i < n/8; i++ {
				m := new(dns.Msg)
				m.SetQuestion("tiktok.com.", dns.TypeA)
				if r, _, err := c.Exchange(m, addr); err == nil && r.Rcode == dns.RcodeNameError {
					answered++
				}
			}
			done <- answered
		}()
	}
	answered := 0
	for w := 0; w < 8; w++ {
		answered += <-done
	}
	if answered != n/8*8 {
		t.Errorf("answered %d of %d queries", answered, n/8*8)
	}
	var (
		stored  []querylog.Record
		dropped float64
	)
	ok := eventually(t, func() bool {
		_ = s.qlog.Flush(context.Background())
		stored, _ = s.qlog.Search(context.Background(), querylog.Query{Limit: querylog.MaxLimit})
		dropped = scrape(t, s, "cleandns_querylog_dropped_total")
		return int(dropped)+len(stored) == answered
	})
	if !ok || dropped == 0 {
		t.Errorf("stored %d + dropped %v, want %d answered with some dropped", len(stored), dropped, answered)
	}
	t.Logf("answered %d, stored %d, dropped %v", answered, len(stored), dropped)
}

// eventually retries cond for up to two seconds:
// the edge records a query just after it writes the answer, so the last
// records may trail the client's last reply.
func eventually(t *testing.T, cond func() bool) bool {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// scrape reads one unlabelled counter from /metrics.
func scrape(t *testing.T, s *Server, name string) float64 {
	t.Helper()
	mfs, err := s.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			var sum float64 // over every label set
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
			return sum
		}
	}
	t.Fatalf("%s not exported", name)
	return 0
}

func TestAPIRefusedOnAReachableListenerWithoutToken(t *testing.T) {
	var hits atomic.Int64
	up := dnstest.NewServer(t, answerA(&hits))
	s := boot(t, upstreamYAML(up))
	// Bound to loopback (tests stay there); configured as if reachable.
	cfg := *s.gen.Load().cfg
	cfg.HTTP.Listen = "0.0.0.0:9153"
	s.setAPI(&cfg)
	resp, err := http.Get("http://" + s.HTTPAddr() + "/api/v1/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var eb api.ErrorBody
	if err := json.NewDecoder(resp.Body).Decode(&eb); err != nil || resp.StatusCode != http.StatusServiceUnavailable ||
		!strings.Contains(eb.Error, "admin_token") {
		t.Errorf("status %d, body %+v (%v)", resp.StatusCode, eb, err)
	}
	m, err := http.Get("http://" + s.HTTPAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m.Body.Close()
	if m.StatusCode != http.StatusOK {
		t.Errorf("/metrics: %s", m.Status)
	}
	// The console is off with the API, and says why.
	c, err := http.Get("http://" + s.HTTPAddr() + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(c.Body)
	c.Body.Close()
	if c.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "password_hash") {
		t.Errorf("console on a reachable listener without a secret: %s %q", c.Status, body)
	}
	// A password alone turns both on.
	cfg.HTTP.PasswordHash = "$2a$04$abcdefghijklmnopqrstuuOBNOYUmGz9iVfyTnDRwuDZfnJO.Jx.W"
	s.setAPI(&cfg)
	for _, path := range []string{"/", "/api/v1/session"} {
		r, err := http.Get("http://" + s.HTTPAddr() + path)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != http.StatusOK {
			t.Errorf("%s with a password set: %s", path, r.Status)
		}
	}
}

func TestMetricsAuth(t *testing.T) {
	var hits atomic.Int64
	up := dnstest.NewServer(t, answerA(&hits))
	s := boot(t, upstreamYAML(up)+"http:\n  metrics_auth: true\n  admin_token: a-token\n  read_token: r-token\n")
	for _, tc := range []struct {
		token string
		want  int
	}{{"", http.StatusUnauthorized}, {"wrong", http.StatusUnauthorized}, {"r-token", http.StatusOK}, {"a-token", http.StatusOK}} {
		req, _ := http.NewRequest("GET", "http://"+s.HTTPAddr()+"/metrics", nil)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("/metrics with token %q: %d, want %d", tc.token, resp.StatusCode, tc.want)
		}
	}
	if _, err := config.Load(config.Source{Name: "t", Data: []byte("http:\n  metrics_auth: true\n")}, config.Overrides{}); err == nil ||
		!strings.Contains(err.Error(), "http.metrics_auth") {
		t.Errorf("metrics_auth without a token: %v", err)
	}
}

// TestDenyAndRulesOverTheAPI: a name blocked with `block add` and a custom
// rule added through the API change the answers, explain says which list
// decided, and a removal takes effect. (runstate's tests cover a reopen.)
func TestDenyAndRulesOverTheAPI(t *testing.T) {
	var hits atomic.Int64
	up := dnstest.NewServer(t, answerA(&hits))
	s, c := adminClient(t, upstreamYAML(up))
	addr, ctx := s.Addrs()[0], context.Background()
	if rc := rcodeOf(t, addr, "ads.example."); rc != dns.RcodeSuccess {
		t.Fatalf("before block add: %s", dns.RcodeToString[rc])
	}
	if _, err := c.DenyAdd(ctx, "ads.example"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RulesAdd(ctx, "||rw.example^$dnsrewrite=192.0.2.9"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DenyAdd(ctx, "com"); err == nil || !strings.Contains(err.Error(), "400") {
		t.Errorf("block add com: %v, want HTTP 400", err)
	}
	if rc := rcodeOf(t, addr, "www.ads.example."); rc != dns.RcodeNameError {
		t.Errorf("after block add: %s, want NXDOMAIN", dns.RcodeToString[rc])
	}
	if r := ask(t, "udp", addr, "rw.example.", dns.TypeA, true); len(r.Answer) != 1 || !strings.HasSuffix(r.Answer[0].String(), "192.0.2.9") {
		t.Errorf("rewrite rule: %v", r.Answer)
	}
	if ex, err := c.Explain(ctx, "www.ads.example", ""); err != nil || !ex.Blocked || ex.List != "runtime-deny" {
		t.Errorf("explain = %+v, %v; want blocked by runtime-deny", ex, err)
	}
	if err := c.DenyRemove(ctx, "ads.example"); err != nil {
		t.Fatal(err)
	}
	if rc := rcodeOf(t, addr, "www.ads.example."); rc != dns.RcodeSuccess {
		t.Errorf("after block rm: %s", dns.RcodeToString[rc])
	}
}

// TestPausedQueriesSayPausedInTheLog: a query that would be blocked but is
// answered because blocking is paused is recorded with the reason "paused".
func TestPausedQueriesSayPausedInTheLog(t *testing.T) {
	var hits atomic.Int64
	up := dnstest.NewServer(t, answerA(&hits))
	s, c := adminClient(t, upstreamYAML(up))
	addr, ctx := s.Addrs()[0], context.Background()
	if _, err := c.Pause(ctx, 10*time.Minute, ""); err != nil {
		t.Fatal(err)
	}
	if r := ask(t, "udp", addr, "tiktok.com.", dns.TypeA, true); r.Rcode != dns.RcodeSuccess {
		t.Fatalf("paused, tiktok.com: %s", dns.RcodeToString[r.Rcode])
	}
	var recs []querylog.Record
	eventually(t, func() bool {
		_ = s.qlog.Flush(ctx)
		var err error
		recs, err = c.QueryLog(ctx, api.QueryLogParams{Name: "tiktok", Since: "1h"})
		return err == nil && len(recs) == 1
	})
	if len(recs) != 1 || recs[0].Result != "forwarded" || recs[0].Reason != "paused" {
		t.Errorf("query log = %+v, want a forwarded record with reason paused", recs)
	}
}
