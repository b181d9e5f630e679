// Package redistest starts a real redis-server (Debian's redis-server
// package) for tests, on a free loopback port, with no persistence: a
// restart comes back empty, the hardest case for the instances that share
// it. Without the package a test skips on a developer's machine and fails
// in CI (CI=true), where .ci/run installs it.
package redistest

import (
	"net"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// Server is one redis-server a test started.
type Server struct {
	URL  string // redis://127.0.0.1:PORT/0
	Addr string
	bin  string
	cmd  *exec.Cmd
	t    testing.TB
}

// Start starts a server; Cleanup stops it.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		msg := "redis-server not found (apt-get install redis-server)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + "; CI=true, so this fails instead of skipping")
		}
		t.Skip(msg)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s := &Server{URL: "redis://" + addr + "/0", Addr: addr, bin: bin, t: t}
	s.Resume()
	t.Cleanup(s.Stop)
	return s
}

// Stop kills the server (its data is gone: no persistence).
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Resume starts the server again on the same port and waits for it.
func (s *Server) Resume() {
	s.t.Helper()
	_, port, _ := net.SplitHostPort(s.Addr)
	cmd := exec.Command(s.bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", os.TempDir(), "--protected-mode", "yes")
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.cmd = cmd
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr, 200*time.Millisecond)
		if err == nil {
			_, _ = c.Write([]byte("PING\r\n"))
			buf := make([]byte, 16)
			_ = c.SetReadDeadline(time.Now().Add(time.Second))
			n, _ := c.Read(buf)
			c.Close()
			if n > 0 && string(buf[:n]) == "+PONG\r\n" {
				return
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redis-server on %s did not start: %v", s.Addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
