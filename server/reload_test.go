package server

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/cleandns/cleandns/config"
	"github.com/cleandns/cleandns/internal/dnstest"
)

func loader(yaml string, o config.Overrides) func() (*config.Config, error) {
	return func() (*config.Config, error) {
		return config.Load(config.Source{Name: "reload.yaml", Data: []byte(yaml)}, o)
	}
}

// TestReloadLosesNoQuery keeps UDP and TCP queries flowing through several
// reloads that change the upstreams and the lists, and counts every answer.
func TestReloadLosesNoQuery(t *testing.T) {
	var hits atomic.Int64
	upA := dnstest.NewServer(t, answerA(&hits))
	upB := dnstest.NewServer(t, answerA(&hits))
	s := boot(t, upstreamYAML(upA))
	addr := s.Addrs()[0]
	// The same configured address as boot's, so its sockets are kept.
	o := config.Overrides{Listen: []string{"127.0.0.1:0"}, HTTP: "127.0.0.1:0"}

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var answered, failed atomic.Int64
	var firstErr atomic.Value
	for _, network := range []string{"udp", "tcp", "udp", "tcp"} {
		wg.Add(1)
		go func(network string) {
			defer wg.Done()
			c := &dns.Client{Net: network, Timeout: 2 * time.Second}
			for i := 0; ctx.Err() == nil; i++ {
				q := new(dns.Msg)
				name := fmt.Sprintf("q%d.example.", i%50)
				if i%3 == 0 {
					name = "tiktok.com."
				}
				q.SetQuestion(name, dns.TypeA)
				r, _, err := c.Exchange(q, addr)
				if err != nil || (r.Rcode != dns.RcodeSuccess && r.Rcode != dns.RcodeNameError) {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("%s %s: %v %v", network, name, err, r))
					continue
				}
				answered.Add(1)
			}
		}(network)
	}
	configs := []string{upstreamYAML(upB), upstreamYAML(upA) + "  allow: [tiktok.com]\n", upstreamYAML(upB), upstreamYAML(upA)}
	for _, y := range configs {
		time.Sleep(150 * time.Millisecond)
		if err := s.Reload(loader(y, o)); err != nil {
			t.Fatalf("reload: %v", err)
		}
	}
	time.Sleep(150 * time.Millisecond)
	cancel()
	wg.Wait()
	if failed.Load() != 0 {
		t.Errorf("%d of %d queries failed during reloads; first: %v", failed.Load(), answered.Load()+failed.Load(), firstErr.Load())
	}
	if answered.Load() < 100 {
		t.Errorf("only %d answers; the stream did not run", answered.Load())
	}
	if v := testutil.ToFloat64(s.metrics.ConfigReloadSuccess); v != 1 {
		t.Errorf("config_last_reload_successful = %v", v)
	}
}

func TestReloadRejectsBadConfigAndKeepsServing(t *testing.T) {
	var hits atomic.Int64
	s := boot(t, upstreamYAML(dnstest.NewServer(t, answerA(&hits))))
	err := s.Reload(loader("blocking:\n  ttl: soon\n", config.Overrides{}))
	if err == nil || !strings.Contains(err.Error(), "blocking.ttl") {
		t.Fatalf("want an error naming blocking.ttl, got %v", err)
	}
	if v := testutil.ToFloat64(s.metrics.ConfigReloadSuccess); v != 0 {
		t.Errorf("config_last_reload_successful = %v after a rejected reload", v)
	}
	if r := ask(t, "udp", s.Addrs()[0], "tiktok.com.", dns.TypeA, false); r.Rcode != dns.RcodeNameError {
		t.Errorf("old config stopped serving: %v", r)
	}
}

func TestShutdownAnswersInFlight(t *testing.T) {
	var hits atomic.Int64
	// The upstream answers after 1 s, well inside its 3 s timeout, so on a
	// loaded machine too every query is still waiting when Shutdown starts
	// and none fails for a reason other than the shutdown.
	slow := dnstest.NewServer(t, answerA(&hits), dnstest.Delay(time.Second))
	yaml := strings.Replace(upstreamYAML(slow), "timeout: 300ms\n  deadline: 2s", "timeout: 3s\n  deadline: 4s", 1)
	cfg, err := config.Load(config.Source{Name: "t", Data: []byte(yaml + "cache:\n  serve_stale: false\n")},
		config.Overrides{Listen: []string{"127.0.0.1:0"}, HTTP: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	useTempState(t, cfg)
	s, err := New(cfg, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	addr := s.Addrs()[0]
	var wg sync.WaitGroup
	results := make(chan *dns.Msg, 20)
	for i := 0; i < 10; i++ {
		for _, network := range []string{"udp", "tcp"} {
			wg.Add(1)
			go func(i int, network string) {
				defer wg.Done()
				q := new(dns.Msg)
				q.SetQuestion(fmt.Sprintf("inflight%d-%s.example.", i, network), dns.TypeA)
				r, _, err := (&dns.Client{Net: network, Timeout: 6 * time.Second}).Exchange(q, addr)
				if err != nil {
					t.Errorf("in-flight %s query lost: %v", network, err)
					return
				}
				results <- r
			}(i, network)
		}
	}
	time.Sleep(400 * time.Millisecond) // the queries are now waiting on the slow upstream
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	wg.Wait()
	close(results)
	n := 0
	for r := range results {
		if r.Rcode == dns.RcodeSuccess && len(r.Answer) == 1 {
			n++
		}
	}
	if n != 20 {
		t.Errorf("%d of 20 in-flight queries answered", n)
	}
}

// TestReloadKeepsRemoteListsThroughAnOutage: a reload that changes the
// lists builds a new list manager; with the list server down, it must start
// from the copy kept on disk (by default under the state directory), not
// from nothing.
func TestReloadKeepsRemoteListsThroughAnOutage(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv("STATE_DIRECTORY", "")
	lists := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "bad.example")
	}))
	var hits atomic.Int64
	up := dnstest.NewServer(t, answerA(&hits))
	yaml := func(allow string) string {
		return fmt.Sprintf("upstreams:\n  servers: [%s]\nblocking:\n  lists: [%q]\n  allow: [%s]\n  download_retries: -1\n", up, lists.URL+"/list.txt", allow)
	}
	o := config.Overrides{Listen: []string{"127.0.0.1:0"}, HTTP: "127.0.0.1:0"}
	s := boot(t, yaml("good.example"))
	addr := s.Addrs()[0]
	deadline := time.Now().Add(5 * time.Second)
	for ask(t, "udp", addr, "bad.example.", dns.TypeA, false).Rcode != dns.RcodeNameError {
		if time.Now().After(deadline) {
			t.Fatal("the remote list never loaded")
		}
		time.Sleep(20 * time.Millisecond)
	}
	lists.Close() // the list server is down from now on
	if err := s.Reload(loader(yaml("other.example"), o)); err != nil {
		t.Fatal(err)
	}
	if r := ask(t, "udp", addr, "bad.example.", dns.TypeA, false); r.Rcode != dns.RcodeNameError {
		t.Errorf("after a reload during the outage bad.example is %s, want still blocked", dns.RcodeToString[r.Rcode])
	}
}
