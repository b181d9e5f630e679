package transport

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"golang.org/x/net/http2"

	"github.com/cleandns/cleandns/query"
)

// TestDoH2Dnsperf: dnsperf's DoH client, several queries in flight on
// each connection, loses none. It takes one response per TLS record it
// reads: when answers shared a record, it lost most of them.
func TestDoH2Dnsperf(t *testing.T) {
	dnsperf := needTool(t, "dnsperf")
	s := startH2(t, echo(0), nil)
	host, port, _ := net.SplitHostPort(s.addr)
	qfile := filepath.Join(t.TempDir(), "q")
	if err := os.WriteFile(qfile, []byte("x.test A\ny.test AAAA\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, dnsperf, "-m", "doh", "-s", host, "-p", port, "-d", qfile, "-l", "2", "-c", "2", "-q", "20", "-t", "2").CombinedOutput()
	if err != nil {
		t.Fatalf("dnsperf: %v\n%s", err, out)
	}
	done := regexp.MustCompile(`Queries completed:\s+(\d+)`).FindSubmatch(out)
	lost := regexp.MustCompile(`Queries lost:\s+(\d+)`).FindSubmatch(out)
	if done == nil || lost == nil {
		t.Fatalf("no dnsperf summary:\n%s", out)
	}
	d, _ := strconv.Atoi(string(done[1]))
	l, _ := strconv.Atoi(string(lost[1]))
	if d < 100 || l > d/100 {
		t.Errorf("%d answered, %d lost:\n%s", d, l, out)
	}
}

// TestDoH2OpenMetric: an HTTP/2 connection counts as open while it is,
// and no more once it closes, as net/http's connections do.
func TestDoH2OpenMetric(t *testing.T) {
	s := startH2(t, echo(0), nil)
	open := s.metrics.Open.WithLabelValues(query.ProtoDoH)
	c := dialRaw(t, s, []http2.Setting{})
	if err := c.get(1, "x.test"); err != nil {
		t.Fatal(err)
	}
	if st, _ := c.answers(1, 5*time.Second); st[1] != "200" {
		t.Fatalf("status %v", st)
	}
	if v := testutil.ToFloat64(open); v != 1 {
		t.Errorf("open %v while connected, want 1", v)
	}
	c.conn.Close()
	deadline := time.Now().Add(5 * time.Second)
	for testutil.ToFloat64(open) != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if v := testutil.ToFloat64(open); v != 0 {
		t.Errorf("open %v after the close, want 0", v)
	}
}
