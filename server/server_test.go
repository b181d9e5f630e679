package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/config"
	"github.com/cleandns/cleandns/internal/dnstest"
	"github.com/cleandns/cleandns/upstream"
)

// boot starts the real wiring from a YAML config, with listen and http on
// 127.0.0.1:0, and returns it once it serves.
func boot(t testing.TB, yaml string) *Server {
	t.Helper()
	cfg, err := config.Load(config.Source{Name: "test.yaml", Data: []byte(yaml)},
		config.Overrides{Listen: []string{"127.0.0.1:0"}, HTTP: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	return bootConfig(t, cfg)
}

// bootConfig starts the real wiring from cfg, as it is, and returns it once
// it serves.
func bootConfig(t testing.TB, cfg *config.Config) *Server {
	t.Helper()
	return bootDeps(t, cfg, Deps{Version: "test"})
}

// bootDeps is bootConfig with the server's Deps given, a logger say.
func bootDeps(t testing.TB, cfg *config.Config, deps Deps) *Server {
	t.Helper()
	useTempState(t, cfg)
	s, err := New(cfg, deps)
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

// answerA answers every A query with 192.0.2.1 and counts what it got.
func answerA(n *atomic.Int64) dns.HandlerFunc {
	return func(w dns.ResponseWriter, r *dns.Msg) {
		if !isProbe(r) {
			n.Add(1)
		}
		m := new(dns.Msg)
		m.SetReply(r)
		if r.Question[0].Qtype == dns.TypeA {
			rr, _ := dns.NewRR(r.Question[0].Name + " 300 IN A 192.0.2.1")
			m.Answer = append(m.Answer, rr)
		}
		_ = w.WriteMsg(m)
	}
}

// isProbe tells the start-up loop probe, which is not a client's query.
func isProbe(r *dns.Msg) bool {
	return dns.IsSubDomain(upstream.LoopProbeZone, strings.ToLower(r.Question[0].Name))
}

func ask(t *testing.T, network, addr, name string, qtype uint16, edns bool) *dns.Msg {
	t.Helper()
	q := new(dns.Msg)
	q.SetQuestion(name, qtype)
	if edns {
		q.SetEdns0(1232, false)
	}
	c := &dns.Client{Net: network, Timeout: 8 * time.Second}
	r, _, err := c.Exchange(q, addr)
	if err != nil {
		t.Fatalf("%s %s: %v", network, name, err)
	}
	return r
}

func upstreamYAML(servers ...string) string {
	return fmt.Sprintf("upstreams:\n  servers: [%s]\n  timeout: 300ms\n  deadline: 2s\nblocking:\n  lists: [builtin:clean-apps]\n", strings.Join(servers, ", "))
}

func TestEndToEndBlocking(t *testing.T) {
	var hits atomic.Int64
	up := dnstest.NewServer(t, answerA(&hits))
	s := boot(t, upstreamYAML(up))
	addr := s.Addrs()[0]
	for _, network := range []string{"udp", "tcp"} {
		for _, name := range []string{"tiktok.com.", "www.TikTok.com.", "a.b.c.tiktokv.com."} {
			t.Run(network+"/"+name, func(t *testing.T) {
				r := ask(t, network, addr, name, dns.TypeA, true)
				if r.Rcode != dns.RcodeNameError {
					t.Fatalf("rcode = %s, want NXDOMAIN", dns.RcodeToString[r.Rcode])
				}
				if len(r.Ns) != 1 {
					t.Fatalf("want one SOA in authority, got %v", r.Ns)
				}
				soa, ok := r.Ns[0].(*dns.SOA)
				if !ok || soa.Hdr.Ttl != 10 || soa.Minttl != 10 {
					t.Errorf("want SOA with TTL and MINIMUM 10, got %v", r.Ns[0])
				}
				if r.Question[0].Name != name {
					t.Errorf("question %q, want the client's %q", r.Question[0].Name, name)
				}
				ede := findEDE(r)
				if ede == nil || ede.InfoCode != 15 || !strings.Contains(ede.ExtraText, "builtin:apps-tiktok") {
					t.Errorf("want EDE 15 naming builtin:apps-tiktok, got %v", ede)
				}
				if r.AuthenticatedData {
					t.Error("AD set on a block answer")
				}
			})
		}
		t.Run(network+"/no EDNS, no OPT", func(t *testing.T) {
			r := ask(t, network, addr, "tiktok.com.", dns.TypeA, false)
			if r.Rcode != dns.RcodeNameError || r.IsEdns0() != nil {
				t.Errorf("rcode %s, OPT %v", dns.RcodeToString[r.Rcode], r.IsEdns0())
			}
		})
		for _, name := range []string{"com.", "example.com.", "notiktok.com."} {
			t.Run(network+"/forwarded "+name, func(t *testing.T) {
				before := hits.Load()
				r := ask(t, network, addr, name, dns.TypeA, true)
				if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
					t.Fatalf("want the upstream's answer, got %v", r)
				}
				if network == "udp" && hits.Load() == before {
					t.Error("upstream saw no query") // (TCP may be served from the cache)
				}
			})
		}
	}
	if hits.Load() == 0 {
		t.Fatal("the upstream never saw a query")
	}
}

func findEDE(m *dns.Msg) *dns.EDNS0_EDE {
	if o := m.IsEdns0(); o != nil {
		for _, opt := range o.Option {
			if e, ok := opt.(*dns.EDNS0_EDE); ok {
				return e
			}
		}
	}
	return nil
}

func TestEndToEndUpstreamFailures(t *testing.T) {
	var hits atomic.Int64
	t.Run("truncated answer retried over TCP", func(t *testing.T) {
		up := dnstest.NewServer(t, answerA(&hits), dnstest.Truncate())
		s := boot(t, upstreamYAML(up))
		r := ask(t, "udp", s.Addrs()[0], "big.example.", dns.TypeA, true)
		if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 || r.Truncated {
			t.Errorf("want the TCP answer, got %v", r)
		}
	})
	t.Run("dead upstream fails over", func(t *testing.T) {
		dead := dnstest.NewServer(t, nil, dnstest.Drop())
		good := dnstest.NewServer(t, answerA(&hits))
		s := boot(t, upstreamYAML(dead, good))
		r := ask(t, "udp", s.Addrs()[0], "failover.example.", dns.TypeA, true)
		if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
			t.Errorf("want the second upstream's answer, got %v", r)
		}
	})
	t.Run("all dead is SERVFAIL within the deadline", func(t *testing.T) {
		s := boot(t, upstreamYAML(dnstest.NewServer(t, nil, dnstest.Drop()), dnstest.ClosedAddr(t)))
		start := time.Now()
		r := ask(t, "udp", s.Addrs()[0], "dead.example.", dns.TypeA, true)
		if r.Rcode != dns.RcodeServerFailure {
			t.Errorf("rcode = %s, want SERVFAIL", dns.RcodeToString[r.Rcode])
		}
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("SERVFAIL after %v; the deadline is 2s", took)
		}
	})
}

func TestEndToEndMalformed(t *testing.T) {
	var hits atomic.Int64
	s := boot(t, upstreamYAML(dnstest.NewServer(t, answerA(&hits))))
	addr := s.Addrs()[0]
	notify := new(dns.Msg)
	notify.SetQuestion("example.com.", dns.TypeSOA)
	notify.Opcode = dns.OpcodeNotify
	empty := new(dns.Msg)
	empty.Id = dns.Id()
	badvers := new(dns.Msg)
	badvers.SetQuestion("example.com.", dns.TypeA)
	badvers.SetEdns0(1232, false)
	badvers.IsEdns0().SetVersion(1)
	for _, tt := range []struct {
		name  string
		msg   *dns.Msg
		rcode int
	}{
		{"no question", empty, dns.RcodeFormatError},
		{"notify", notify, dns.RcodeNotImplemented},
		{"edns version 1", badvers, dns.RcodeBadVers},
	} {
		for _, network := range []string{"udp", "tcp"} {
			t.Run(tt.name+"/"+network, func(t *testing.T) {
				r, _, err := (&dns.Client{Net: network}).Exchange(tt.msg, addr)
				if err != nil {
					t.Fatal(err)
				}
				if r.Rcode != tt.rcode {
					t.Errorf("rcode = %s, want %s", dns.RcodeToString[r.Rcode], dns.RcodeToString[tt.rcode])
				}
			})
		}
	}
	if hits.Load() != 0 {
		t.Errorf("malformed queries reached the upstream %d times", hits.Load())
	}
}

func TestMetricsAfterTraffic(t *testing.T) {
	var hits atomic.Int64
	s := boot(t, upstreamYAML(dnstest.NewServer(t, answerA(&hits))))
	addr := s.Addrs()[0]
	for i := 0; i < 3; i++ {
		ask(t, "udp", addr, "tiktok.com.", dns.TypeA, false)
	}
	ask(t, "udp", addr, "example.org.", dns.TypeA, false)
	ask(t, "tcp", addr, "example.net.", dns.TypeAAAA, false)
	// The edge counts a query just after sending its answer: poll briefly.
	wants := []string{
		`cleandns_blocked_queries_total{group="default",list="builtin:apps-tiktok"} 3`,
		`cleandns_queries_total{protocol="udp",qtype="A",result="blocked"} 3`,
		`cleandns_queries_total{protocol="udp",qtype="A",result="forwarded"} 1`,
		`cleandns_queries_total{protocol="tcp",qtype="AAAA",result="forwarded"} 1`,
		`cleandns_blocklist_entries{list="builtin:apps-tiktok"}`,
		`cleandns_build_info{goversion=`,
		`cleandns_request_duration_seconds_bucket{result="blocked",le="5e-05"}`,
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		body := getBody(t, "http://"+s.HTTPAddr()+"/metrics")
		var missing []string
		for _, want := range wants {
			if !strings.Contains(body, want) {
				missing = append(missing, want)
			}
		}
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics lacks %v", missing)
		}
		time.Sleep(20 * time.Millisecond)
	}
	hr, err := http.Get("http://" + s.HTTPAddr() + "/healthz")
	if err != nil || hr.StatusCode != 200 {
		t.Errorf("/healthz: %v %v", hr, err)
	}
}

// TestCNAMEChainIntoBlockedName: a first-party name that is an alias of a
// blocked host is blocked, fresh from upstream and again from the cache.
func TestCNAMEChainIntoBlockedName(t *testing.T) {
	var hits atomic.Int64
	up := dnstest.NewServer(t, func(w dns.ResponseWriter, r *dns.Msg) {
		if !isProbe(r) {
			hits.Add(1)
		}
		m := new(dns.Msg)
		m.SetReply(r)
		name := r.Question[0].Name
		if strings.HasPrefix(name, "cdn.") {
			for _, s := range []string{name + " 300 IN CNAME edge.example.net.", "edge.example.net. 300 IN CNAME v16.tiktokcdn.com.", "v16.tiktokcdn.com. 60 IN A 192.0.2.9"} {
				rr, _ := dns.NewRR(s)
				m.Answer = append(m.Answer, rr)
			}
		}
		_ = w.WriteMsg(m)
	})
	s := boot(t, upstreamYAML(up))
	for i, from := range []string{"fresh", "cached"} {
		r := ask(t, "udp", s.Addrs()[0], "cdn.shop.example.", dns.TypeA, true)
		if r.Rcode != dns.RcodeNameError {
			t.Fatalf("%s: rcode = %s, want NXDOMAIN for a chain into tiktokcdn.com", from, dns.RcodeToString[r.Rcode])
		}
		if ede := findEDE(r); ede == nil || !strings.Contains(ede.ExtraText, "v16.tiktokcdn.com") {
			t.Errorf("%s: EDE should name the blocked chain name, got %v", from, ede)
		}
		if got := hits.Load(); got != 1 {
			t.Errorf("after query %d the upstream saw %d queries, want 1 (the second from the cache)", i+1, got)
		}
	}
}

func getBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestReadyz(t *testing.T) {
	var hits atomic.Int64
	up := dnstest.NewServer(t, answerA(&hits))
	status := func(s *Server, path string) (int, string) {
		resp, err := http.Get("http://" + s.HTTPAddr() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	ready := boot(t, upstreamYAML(up))
	if c, body := status(ready, "/readyz"); c != http.StatusOK {
		t.Errorf("/readyz = %d %q with every list loaded", c, body)
	}
	// A remote list that cannot be fetched (nothing listens there) and has
	// no stored copy: live, but not ready.
	dead := "http://" + dnstest.ClosedAddr(t) + "/list.txt"
	cfg := strings.Replace(upstreamYAML(up), "lists: [builtin:clean-apps]", "lists: [builtin:clean-apps, \""+dead+"\"]\n  download_retries: -1", 1)
	notReady := boot(t, cfg)
	if c, body := status(notReady, "/readyz"); c != http.StatusServiceUnavailable || !strings.Contains(body, "list.txt") {
		t.Errorf("/readyz = %d %q, want 503 naming the list never loaded", c, body)
	}
	if c, _ := status(notReady, "/healthz"); c != http.StatusOK {
		t.Errorf("/healthz = %d, want 200: the process is live", c)
	}
}

// TestConcurrentIdenticalQuestionsShareOneExchange: 100 clients asking the
// same question at once cost the upstream one query.
func TestConcurrentIdenticalQuestionsShareOneExchange(t *testing.T) {
	var hits atomic.Int64
	up := dnstest.NewServer(t, answerA(&hits), dnstest.Delay(300*time.Millisecond))
	s := boot(t, "upstreams:\n  servers: ["+up+"]\n  timeout: 2s\n")
	addr := s.Addrs()[0]
	var wg sync.WaitGroup
	var answered atomic.Int64
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q := new(dns.Msg)
			q.SetQuestion("popular.example.", dns.TypeA)
			r, _, err := (&dns.Client{Timeout: 3 * time.Second}).Exchange(q, addr)
			if err == nil && len(r.Answer) == 1 && r.Id == q.Id {
				answered.Add(1)
			}
		}()
	}
	wg.Wait()
	if answered.Load() != 100 {
		t.Errorf("%d of 100 clients answered", answered.Load())
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("the upstream saw %d queries for one question asked 100 times at once, want 1", n)
	}
}
