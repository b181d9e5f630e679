package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/internal/dnstest"
)

// TestIdleHTTPConnectionsDoNotStopDNS is issue 15 item 8 on the real
// binary at a descriptor limit of 256: 400 idle keep-alive connections to
// the HTTP listener must not take the descriptors that uncached names need
// for their upstream sockets. Every uncached name still resolves.
func TestIdleHTTPConnectionsDoNotStopDNS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	up := dnstest.NewServer(t, func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg).SetReply(r)
		if rr, err := dns.NewRR(r.Question[0].Name + " 60 IN A 192.0.2.7"); err == nil && r.Question[0].Qtype == dns.TypeA {
			m.Answer = append(m.Answer, rr)
		}
		_ = w.WriteMsg(m)
	})
	dir := t.TempDir()
	addr, httpAddr := freeUDP(t), freeUDP(t)
	cmd := exec.Command("sh", "-c", `ulimit -n 256 && exec "$0" "$@"`, bin, "serve",
		"--listen", addr, "--http", httpAddr, "--upstream", up)
	cmd.Env = append(os.Environ(), "STATE_DIRECTORY="+dir, "HOME="+dir)
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The logs are read once the process is gone and exec has copied them.
	stop := func() string { _ = cmd.Process.Kill(); _ = cmd.Wait(); return logs.String() }
	defer stop()
	if rc := waitBlocked(addr, "warmup.example.", 10*time.Second); rc != dns.RcodeSuccess {
		t.Fatalf("not serving: rcode %d\n%s", rc, stop())
	}
	// 400 keep-alive connections, each after one request, left idle.
	var idle []net.Conn
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	for i := 0; i < 400; i++ {
		c, err := net.DialTimeout("tcp", httpAddr, time.Second)
		if err != nil {
			break
		}
		idle = append(idle, c)
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: cleandns\r\n\r\n")
		_ = c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
			resp.Body.Close()
		}
	}
	client := &dns.Client{Timeout: time.Second}
	failed := 0
	for i := 0; i < 50 && failed < 5; i++ {
		q := new(dns.Msg).SetQuestion(fmt.Sprintf("uncached%d.example.", i), dns.TypeA)
		r, _, err := client.Exchange(q, addr)
		if err != nil || r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
			failed++
		}
	}
	if failed > 0 {
		t.Errorf("%d uncached names failed (stopped at 5) with %d idle HTTP connections at 256 descriptors", failed, len(idle))
	}
}
