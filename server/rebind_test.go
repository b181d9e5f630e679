package server

import (
	"net"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/config"
	"github.com/cleandns/cleandns/internal/dnstest"
)

// freeDualPort is a port free on the IPv6 wildcard for UDP and TCP, dual-stack.
func freeDualPort(t *testing.T) int {
	t.Helper()
	for range 20 {
		pc, err := net.ListenPacket("udp", "[::]:0")
		if err != nil {
			t.Skipf("no IPv6 wildcard: %v", err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", net.JoinHostPort("::", strconv.Itoa(port)))
		pc.Close()
		if err == nil {
			l.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

// TestReloadChangesPortFamilies reloads between a dual-stack "[::]:P" alone
// and "[::]:P" beside "0.0.0.0:P", which binds it IPv6-only: the kept
// "[::]:P" cannot stay as it was, and before it was rebound the reload
// failed with "address already in use". After each reload IPv4 and IPv6
// loopback queries are answered over UDP and TCP, and a reload that keeps
// the same addresses keeps serving as well.
func TestReloadChangesPortFamilies(t *testing.T) {
	var hits atomic.Int64
	up := dnstest.NewServer(t, answerA(&hits))
	port := strconv.Itoa(freeDualPort(t))
	v6, v4 := "[::]:"+port, "0.0.0.0:"+port
	o := func(listen ...string) config.Overrides {
		return config.Overrides{Listen: listen, HTTP: "127.0.0.1:0"}
	}
	cfg, err := loader(upstreamYAML(up), o(v6))()
	if err != nil {
		t.Fatal(err)
	}
	s := bootConfig(t, cfg)
	_, ipv6 := net.ListenPacket("udp", "[::1]:0") // loopback IPv6 may be off
	for i, listen := range [][]string{{v6}, {v4, v6}, {v4, v6}, {v6}, {v6, v4}} {
		if i > 0 {
			if err := s.Reload(loader(upstreamYAML(up), o(listen...))); err != nil {
				t.Fatalf("reload %d to %v: %v", i, listen, err)
			}
		}
		targets := []string{"127.0.0.1:" + port}
		if ipv6 == nil {
			targets = append(targets, "[::1]:"+port)
		}
		for _, addr := range targets {
			for _, network := range []string{"udp", "tcp"} {
				c := &dns.Client{Net: network}
				r, _, err := c.Exchange(new(dns.Msg).SetQuestion("www.tiktok.com.", dns.TypeA), addr)
				if err != nil || r.Rcode != dns.RcodeNameError {
					t.Errorf("after reload %d to %v: %s %s: %v %v", i, listen, network, addr, r, err)
				}
			}
		}
	}
}

// TestReloadRebindFailureRestoresListeners rejects a reload that would
// rebind [::]:P beside 0.0.0.0:P but cannot bind a third address: the
// dual-stack [::]:P is bound again and answers IPv4 as before.
func TestReloadRebindFailureRestoresListeners(t *testing.T) {
	var hits atomic.Int64
	up := dnstest.NewServer(t, answerA(&hits))
	port := strconv.Itoa(freeDualPort(t))
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	o := func(listen ...string) config.Overrides { return config.Overrides{Listen: listen, HTTP: "127.0.0.1:0"} }
	cfg, err := loader(upstreamYAML(up), o("[::]:"+port))()
	if err != nil {
		t.Fatal(err)
	}
	s := bootConfig(t, cfg)
	if err := s.Reload(loader(upstreamYAML(up), o("0.0.0.0:"+port, "[::]:"+port, taken.Addr().String()))); err == nil {
		t.Fatal("reload onto a taken address accepted")
	}
	for _, network := range []string{"udp", "tcp"} {
		c := &dns.Client{Net: network}
		r, _, err := c.Exchange(new(dns.Msg).SetQuestion("www.tiktok.com.", dns.TypeA), "127.0.0.1:"+port)
		if err != nil || r.Rcode != dns.RcodeNameError {
			t.Errorf("after the rejected reload: %s: %v %v", network, r, err)
		}
	}
	if got := s.Addrs(); len(got) != 1 {
		t.Errorf("listening on %v, want the one previous address", got)
	}
}
