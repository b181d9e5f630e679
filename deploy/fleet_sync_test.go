package deploy

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/internal/dnstest"
	"github.com/cleandns/cleandns/internal/redistest"
	"github.com/cleandns/cleandns/server"
)

// TestFleetSharesRuntimeState is the DHCP pair and the replicas behind a
// load balancer: three instances share their runtime state through one
// real redis-server. A change through any instance's API is in effect on
// all three within a second; Redis dying loses no query and no change.
func TestFleetSharesRuntimeState(t *testing.T) {
	rs := redistest.Start(t)
	up := dnstest.NewServer(t, dnstest.A("192.0.2.1"))
	var fleet []*server.Server
	for i := range 3 {
		dir := t.TempDir()
		fleet = append(fleet, boot(t, fmt.Sprintf("upstreams:\n  servers: [%s]\nblocking:\n  lists: [builtin:clean-apps]\n"+
			"cache:\n  enabled: false\nhttp:\n  allow_file: %s\nquerylog:\n  enabled: false\n"+
			"sync:\n  redis: %q\n  instance: dns%d\n", up, filepath.Join(dir, "allow.json"), rs.URL, i+1)))
	}
	blockedOn := func(s *server.Server, name string) bool {
		return rcode(t, s.Addrs()[0], name) == dns.RcodeNameError
	}
	everywhere := func(what string, cond func(*server.Server) bool) {
		t.Helper()
		deadline := time.Now().Add(time.Second)
		for i, s := range fleet {
			for !cond(s) {
				if time.Now().After(deadline) {
					t.Fatalf("%s: not so on instance %d within 1 s", what, i+1)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	}
	everywhere("tiktok.com blocked at start", func(s *server.Server) bool { return blockedOn(s, "tiktok.com.") })

	post(t, fleet[0], "/api/v1/blocking/pause?duration=10m")
	everywhere("paused through instance 1", func(s *server.Server) bool { return !blockedOn(s, "tiktok.com.") })
	post(t, fleet[1], "/api/v1/blocking/resume")
	everywhere("resumed through instance 2", func(s *server.Server) bool { return blockedOn(s, "tiktok.com.") })

	post(t, fleet[1], "/api/v1/allow?name=www.tiktok.com")
	everywhere("allow entry added on instance 2", func(s *server.Server) bool { return !blockedOn(s, "www.tiktok.com.") })

	// Redis dies while a client keeps asking every instance.
	stop := make(chan struct{})
	var asked, failed atomic.Int64
	var wg sync.WaitGroup
	for _, s := range fleet {
		wg.Add(1)
		go func(addr string) {
			defer wg.Done()
			c := &dns.Client{Timeout: 2 * time.Second}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name := []string{"tiktok.com.", "example.org.", "www.tiktok.com."}[i%3]
				_, _, err := c.Exchange(new(dns.Msg).SetQuestion(name, dns.TypeA), addr)
				asked.Add(1)
				if err != nil {
					failed.Add(1)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}(s.Addrs()[0])
	}
	rs.Stop()
	deadline := time.Now().Add(3 * time.Second)
	for !strings.Contains(get(t, fleet[0], "/readyz"), "unreachable") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(get(t, fleet[0], "/readyz"), "unreachable") {
		t.Errorf("/readyz does not say the shared state store is unreachable: %q", get(t, fleet[0], "/readyz"))
	}
	post(t, fleet[2], "/api/v1/allow?name=tiktok.com") // made during the outage, on instance 3
	if blockedOn(fleet[2], "tiktok.com.") {
		t.Error("a change during the outage is not in effect on the instance that made it")
	}
	time.Sleep(300 * time.Millisecond)
	rs.Resume() // empty: no persistence
	everywhere("the outage's change converged", func(s *server.Server) bool { return !blockedOn(s, "tiktok.com.") })
	everywhere("the state from before the outage kept", func(s *server.Server) bool { return !blockedOn(s, "www.tiktok.com.") })
	close(stop)
	wg.Wait()
	if failed.Load() != 0 || asked.Load() < 30 {
		t.Errorf("during the Redis outage %d of %d queries failed, want 0", failed.Load(), asked.Load())
	}
}

func rcode(t *testing.T, addr, name string) int {
	t.Helper()
	r, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(new(dns.Msg).SetQuestion(name, dns.TypeA), addr)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r.Rcode
}

func post(t *testing.T, s *server.Server, path string) {
	t.Helper()
	send(t, "POST", s, path)
}

func send(t *testing.T, method string, s *server.Server, path string) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+s.HTTPAddr()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %s %s", method, path, resp.Status, b)
	}
}

func get(t *testing.T, s *server.Server, path string) string {
	t.Helper()
	resp, err := http.Get("http://" + s.HTTPAddr() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestFleetSharesSettingsAndRefreshes: a list switched on in one instance's
// console, and a list refresh asked of one instance, are in effect on every
// instance within a second.
func TestFleetSharesSettingsAndRefreshes(t *testing.T) {
	rs := redistest.Start(t)
	up := dnstest.NewServer(t, dnstest.A("192.0.2.1"))
	var body atomic.Value
	body.Store("first.example\n")
	lists := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, body.Load().(string))
	}))
	t.Cleanup(lists.Close)
	var fleet []*server.Server
	for i := range 3 {
		dir := t.TempDir()
		fleet = append(fleet, boot(t, fmt.Sprintf("upstreams:\n  servers: [%s]\nblocking:\n  lists: [%s/hosts.txt]\n"+
			"  refresh: 24h\ncache:\n  enabled: false\nhttp:\n  allow_file: %s\nquerylog:\n  enabled: false\n"+
			"sync:\n  redis: %q\n  instance: dns%d\n", up, lists.URL, filepath.Join(dir, "allow.json"), rs.URL, i+1)))
	}
	blockedOn := func(s *server.Server, name string) bool {
		return rcode(t, s.Addrs()[0], name) == dns.RcodeNameError
	}
	within := func(d time.Duration, what string, cond func(*server.Server) bool) {
		t.Helper()
		deadline := time.Now().Add(d)
		for i, s := range fleet {
			for !cond(s) {
				if time.Now().After(deadline) {
					t.Fatalf("%s: not so on instance %d within %s", what, i+1, d)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	}
	within(5*time.Second, "the URL list loaded", func(s *server.Server) bool { return blockedOn(s, "first.example.") })
	if blockedOn(fleet[2], "tiktok.com.") {
		t.Fatal("tiktok.com blocked before its category was switched on")
	}

	post(t, fleet[0], "/api/v1/settings/lists?group=default&list=builtin:clean-apps&on=true")
	within(time.Second, "a category switched on in instance 1's console", func(s *server.Server) bool { return blockedOn(s, "tiktok.com.") })
	if !strings.Contains(get(t, fleet[2], "/api/v1/settings"), "builtin:clean-apps") {
		t.Errorf("instance 3's settings do not show the change: %s", get(t, fleet[2], "/api/v1/settings"))
	}
	post(t, fleet[1], "/api/v1/settings/lists?group=default&list=builtin:clean-apps&on=false")
	within(time.Second, "switched off again in instance 2's", func(s *server.Server) bool { return !blockedOn(s, "tiktok.com.") })

	// Local records and upstreams made in one console reach every instance.
	local := func(s *server.Server) bool { return rcode(t, s.Addrs()[0], "printer.home.arpa.") == dns.RcodeSuccess }
	post(t, fleet[1], "/api/v1/settings/local-records?name=printer.home.arpa&type=A&value=192.168.1.50")
	within(time.Second, "a local record made in instance 2's console", local)
	send(t, "DELETE", fleet[2], "/api/v1/settings/local-records?name=printer.home.arpa")
	within(time.Second, "removed in instance 3's", func(s *server.Server) bool { return !local(s) })
	post(t, fleet[0], "/api/v1/settings/upstreams?server=udp://"+up)
	within(time.Second, "an upstream added in instance 1's console", func(s *server.Server) bool {
		return strings.Contains(get(t, s, "/api/v1/status"), `"name": "udp://`+up+`"`)
	})

	body.Store("first.example\nsecond.example\n")
	post(t, fleet[2], "/api/v1/lists/refresh")
	within(time.Second, "a refresh asked of instance 3", func(s *server.Server) bool { return blockedOn(s, "second.example.") })
}
