package server

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/internal/dnstest"
)

func askFrom(t *testing.T, src, addr, name string) *dns.Msg {
	t.Helper()
	q := new(dns.Msg)
	q.SetQuestion(name, dns.TypeA)
	c := &dns.Client{Net: "udp", Timeout: 3 * time.Second, Dialer: &net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP(src)}}}
	r, _, err := c.Exchange(q, addr)
	if err != nil {
		t.Fatalf("from %s: %s: %v", src, name, err)
	}
	return r
}

// TestGroupsOverSockets: loopback addresses stand for clients of different
// groups; each sees its own rules, and pausing one group changes only its
// answers, until it is resumed.
func TestGroupsOverSockets(t *testing.T) {
	var hits atomic.Int64
	up := dnstest.NewServer(t, answerA(&hits))
	s := boot(t, upstreamYAML(up)+`groups:
  - name: kids
    clients: [127.0.0.2/32]
    lists: [builtin:clean-apps, builtin:vendor-huawei]
  - name: lab
    clients: [127.0.0.3/32]
    blocking: false
local_records:
  records:
    - {name: tiktok.com, type: A, value: 192.0.2.77}
    - {name: nas.home.arpa, type: A, value: 192.168.1.10}
`)
	addr := s.Addrs()[0]
	tests := []struct {
		client, name string
		rcode        int
	}{
		{"127.0.0.1", "www.huawei.com.", dns.RcodeSuccess}, // default group: clean-apps only
		{"127.0.0.2", "www.huawei.com.", dns.RcodeNameError},
		{"127.0.0.2", "douyin.com.", dns.RcodeNameError},
		{"127.0.0.3", "douyin.com.", dns.RcodeSuccess}, // lab: blocking off
		{"127.0.0.1", "douyin.com.", dns.RcodeNameError},
		{"127.0.0.2", "tiktok.com.", dns.RcodeSuccess}, // a local record beats the blocklist
	}
	for _, tt := range tests {
		if r := askFrom(t, tt.client, addr, tt.name); r.Rcode != tt.rcode {
			t.Errorf("%s asking %s: %s, want %s", tt.client, tt.name, dns.RcodeToString[r.Rcode], dns.RcodeToString[tt.rcode])
		}
	}
	if r := askFrom(t, "127.0.0.1", addr, "nas.home.arpa."); len(r.Answer) != 1 {
		t.Errorf("local record: %v", r)
	}
	ptr := new(dns.Msg)
	ptr.SetQuestion("10.1.168.192.in-addr.arpa.", dns.TypePTR)
	if r, _, err := new(dns.Client).Exchange(ptr, addr); err != nil || len(r.Answer) != 1 {
		t.Errorf("PTR of a local record: %v %v", r, err)
	}

	if err := s.Pause("kids", time.Minute); err != nil {
		t.Fatal(err)
	}
	if r := askFrom(t, "127.0.0.2", addr, "douyin.com."); r.Rcode != dns.RcodeSuccess {
		t.Errorf("kids paused: douyin.com %s, want forwarded", dns.RcodeToString[r.Rcode])
	}
	if r := askFrom(t, "127.0.0.1", addr, "douyin.com."); r.Rcode != dns.RcodeNameError {
		t.Errorf("default not paused: douyin.com %s", dns.RcodeToString[r.Rcode])
	}
	if err := s.Resume("kids"); err != nil {
		t.Fatal(err)
	}
	if r := askFrom(t, "127.0.0.2", addr, "douyin.com."); r.Rcode != dns.RcodeNameError {
		t.Errorf("kids resumed: douyin.com %s, want NXDOMAIN", dns.RcodeToString[r.Rcode])
	}
}
