package deploy

import (
	"bufio"
	"context"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/config"
	"github.com/cleandns/cleandns/internal/dnstest"
	"github.com/cleandns/cleandns/internal/redistest"
	"github.com/cleandns/cleandns/server"
)

// zeroFromStart are failure counters a healthy cleandns must already
// export at 0, so that increase() in an alert sees the first failure.
var zeroFromStart = []string{"cleandns_upstream_errors_total", "cleandns_blocklist_refresh_errors_total"}

// TestRunningServerExportsWhatPanelsRead boots the real server wiring with
// a blocklist and a fake upstream, blocks one query and forwards another,
// scrapes /metrics and checks that every series the dashboard and the
// alerts read is there, failure counters included.
func TestRunningServerExportsWhatPanelsRead(t *testing.T) {
	up := dnstest.NewServer(t, func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		rr, _ := dns.NewRR(r.Question[0].Name + " 300 IN A 192.0.2.1")
		m.Answer = append(m.Answer, rr)
		_ = w.WriteMsg(m)
	})
	// With the fleet's shared state on, so its series are there too.
	rs := redistest.Start(t)
	s := boot(t, "upstreams:\n  servers: ["+up+"]\nblocking:\n  lists: [builtin:clean-apps]\nsync:\n  redis: "+rs.URL+"\n"+
		"http:\n  allow_file: "+filepath.Join(t.TempDir(), "allow.json")+"\n")
	for name, want := range map[string]int{"tiktok.com.": dns.RcodeNameError, "example.org.": dns.RcodeSuccess} {
		q := new(dns.Msg)
		q.SetQuestion(name, dns.TypeA)
		r, _, err := (&dns.Client{Timeout: 5 * time.Second}).Exchange(q, s.Addrs()[0])
		if err != nil || r.Rcode != want {
			t.Fatalf("%s: %v %v, want rcode %d", name, r, err, want)
		}
	}
	scraped := scrape(t, "http://"+s.HTTPAddr()+"/metrics")

	var missing []string
	for _, e := range append(dashboardExprs(t), alertExprs(t)...) {
		for _, n := range metricNames(e.promQL) {
			if !scraped[n] {
				missing = append(missing, n+" ("+e.where+")")
			}
		}
	}
	for _, n := range zeroFromStart {
		if !scraped[n] {
			missing = append(missing, n+" (at 0 before any failure)")
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("a running cleandns does not export %s", m)
	}
}

func boot(t *testing.T, yaml string) *server.Server {
	t.Helper()
	cfg, err := config.Load(config.Source{Name: "test.yaml", Data: []byte(yaml)},
		config.Overrides{Listen: []string{"127.0.0.1:0"}, HTTP: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := server.New(cfg, server.Deps{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return s
}

// scrape returns the series names a /metrics page holds, histograms and
// summaries expanded from their # TYPE lines.
func scrape(t *testing.T, url string) map[string]bool {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]bool{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 4 || f[0] != "#" || f[1] != "TYPE" {
			continue
		}
		switch name := f[2]; f[3] {
		case "histogram":
			out[name+"_bucket"], out[name+"_sum"], out[name+"_count"] = true, true, true
		case "summary":
			out[name], out[name+"_sum"], out[name+"_count"] = true, true, true
		default:
			out[name] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
