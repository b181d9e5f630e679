package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cleandns/cleandns/internal/dnstest"
	"github.com/cleandns/cleandns/transport"
)

// TestDoTCertificateRotation replaces the certificate files while dnsperf
// sends over DoT: no query is lost, and a handshake after the rotation
// shows the new certificate.
func TestDoTCertificateRotation(t *testing.T) {
	dnsperf := needTool(t, "dnsperf")
	var hits atomic.Int64
	up := dnstest.NewServer(t, answerA(&hits))
	certFile, keyFile := tlsFiles(t)
	s := boot(t, encryptedYAML(up, certFile, keyFile))
	dot := s.EncryptedAddrs("dot")[0]
	leaf := func() []byte {
		t.Helper()
		c, err := tls.Dial("tcp", dot, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"dot"}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].Raw
	}
	before := leaf()

	queries := filepath.Join(t.TempDir(), "queries")
	if err := os.WriteFile(queries, []byte("tiktok.com A\nexample.com A\nwww.example.com AAAA\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	host, port := hostPort(t, dot)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, dnsperf, "-m", "dot", "-s", host, "-p", port, "-d", queries, "-l", "4", "-c", "4", "-q", "20")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	c, k, err := transport.SelfSigned([]string{"dns.test", "127.0.0.1"}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	replace(t, keyFile, k)
	replace(t, certFile, c)
	if !waitUntil(5*time.Second, func() bool { return !bytes.Equal(leaf(), before) }) {
		t.Error("handshakes after the rotation still show the old certificate")
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("dnsperf: %v\n%s", err, out.String())
	}
	completed := regexp.MustCompile(`Queries completed:\s+(\d+)`).FindStringSubmatch(out.String())
	lost := regexp.MustCompile(`Queries lost:\s+(\d+)`).FindStringSubmatch(out.String())
	if completed == nil || lost == nil {
		t.Fatalf("no dnsperf summary:\n%s", out.String())
	}
	t.Logf("dnsperf -m dot across the rotation: %s completed, %s lost", completed[1], lost[1])
	if n, _ := strconv.Atoi(completed[1]); n < 100 || lost[1] != "0" {
		t.Errorf("%s completed, %s lost across the rotation:\n%s", completed[1], lost[1], out.String())
	}
}

// replace writes b to path as a rotation tool does: a new file renamed
// over the old.
func replace(t *testing.T, path string, b []byte) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}
