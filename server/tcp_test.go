package server

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/cleandns/cleandns/internal/dnstest"
)

// TestTCPNoQueryCap: dig sends 130 queries on one kept-open connection;
// miekg's default server closed it after 128 and lost the rest.
func TestTCPNoQueryCap(t *testing.T) {
	dig := needTool(t, "dig")
	var hits atomic.Int64
	up := dnstest.NewServer(t, answerA(&hits))
	s := boot(t, upstreamYAML(up))
	host, port := hostPort(t, s.Addrs()[0])
	args := []string{"@" + host, "-p", port, "+tcp", "+keepopen", "+tries=1", "+time=5"}
	for i := 0; i < 130; i++ {
		args = append(args, fmt.Sprintf("n%d.example.com", i), "A")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, dig, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("dig: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "status: NOERROR"); n != 130 {
		t.Errorf("%d of 130 answered on one connection", n)
	}
}

// TestTCPPipelinedThousand sends 1,000 queries on one connection before
// reading an answer; every one is answered.
func TestTCPPipelinedThousand(t *testing.T) {
	var hits atomic.Int64
	up := dnstest.NewServer(t, answerA(&hits))
	s := boot(t, upstreamYAML(up))
	c, err := dns.Dial("tcp", s.Addrs()[0])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const n = 1000
	go func() {
		for i := 0; i < n; i++ {
			name := fmt.Sprintf("p%d.example.com.", i)
			if i%3 == 0 {
				name = fmt.Sprintf("p%d.tiktok.com.", i) // blocked: answered without the upstream
			}
			q := new(dns.Msg)
			q.SetQuestion(name, dns.TypeA)
			q.Id = uint16(i)
			if err := c.WriteMsg(q); err != nil {
				t.Errorf("write %d: %v", i, err)
				return
			}
		}
	}()
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	seen := map[uint16]bool{}
	for len(seen) < n {
		r, err := c.ReadMsg()
		if err != nil {
			t.Fatalf("after %d answers: %v", len(seen), err)
		}
		seen[r.Id] = true
	}
}

// TestTCPIdleConnections: thousands of idle connections are closed by the
// idle timeout, and while they are open UDP and new TCP queries are still
// answered.
func TestTCPIdleConnections(t *testing.T) {
	n := 5000
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < uint64(2*n+500) {
		n = int(lim.Cur-500) / 2 // both ends are in this process
		t.Logf("open files limited to %d: %d connections", lim.Cur, n)
	}
	var hits atomic.Int64
	up := dnstest.NewServer(t, answerA(&hits))
	s := boot(t, upstreamYAML(up)+fmt.Sprintf("tcp:\n  idle_timeout: 5s\n  max_connections: %d\n", n+100))
	addr := s.Addrs()[0]
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < n; i++ {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		conns = append(conns, c)
	}
	dialed := time.Now()
	open := s.conns.Open.WithLabelValues("tcp")
	if !waitUntil(5*time.Second, func() bool { return testutil.ToFloat64(open) >= float64(n) }) {
		t.Fatalf("%v of %d connections accepted", testutil.ToFloat64(open), n)
	}
	for _, network := range []string{"udp", "tcp"} {
		if r := ask(t, network, addr, "example.com.", dns.TypeA, false); r.Rcode != dns.RcodeSuccess {
			t.Errorf("%s beside %d idle connections: %s", network, n, dns.RcodeToString[r.Rcode])
		}
	}
	if !waitUntil(15*time.Second, func() bool { return testutil.ToFloat64(open) == 0 }) {
		t.Fatalf("%v connections still open after the idle timeout", testutil.ToFloat64(open))
	}
	if took := time.Since(dialed); took < 4*time.Second {
		t.Errorf("connections closed after %v, before the 5s idle timeout", took)
	}
	// The server closed them: each client end reads EOF.
	_ = conns[0].SetReadDeadline(time.Now().Add(time.Second))
	if _, err := conns[0].Read(make([]byte, 1)); err == nil {
		t.Error("an idle connection still reads")
	}
}

// waitUntil retries cond until it holds or d has passed.
func waitUntil(d time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}
