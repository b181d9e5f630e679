// Package pgtest starts a real PostgreSQL server for tests: Debian's
// postgresql package, a fresh cluster in a temporary folder, listening on a
// free loopback port, run as the postgres user when the test runs as root
// (initdb refuses root). Without the package a test skips on a developer's
// machine and fails in CI (CI=true), where .ci/run installs it.
package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Server is one PostgreSQL server a test started.
type Server struct {
	DSN  string // postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable
	bin  string
	data string
	port int
	cred *syscall.Credential
	cmd  *exec.Cmd
	t    testing.TB
}

// Start initialises a cluster and starts it; Cleanup stops it and removes
// its files.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := binDir(t)
	dir, err := os.MkdirTemp("", "cleandns-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s := &Server{bin: bin, data: filepath.Join(dir, "data"), port: freePort(t), t: t}
	if os.Getuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root needs the postgres user of Debian's package: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	s.run("initdb", "-D", s.data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "--no-instructions")
	s.DSN = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
	s.Resume()
	t.Cleanup(s.Stop)
	return s
}

// Stop stops the server (fast shutdown) and waits for it; the data stays,
// so Resume starts it again as it was.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
	s.cmd = nil
}

// Resume starts the server on its port and waits until it takes
// connections.
func (s *Server) Resume() {
	s.t.Helper()
	cmd := exec.Command(filepath.Join(s.bin, "postgres"), "-D", s.data, "-p", strconv.Itoa(s.port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+filepath.Dir(s.data),
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=50")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	log, err := os.Create(filepath.Join(filepath.Dir(s.data), "postgres.log"))
	if err != nil {
		s.t.Fatal(err)
	}
	defer log.Close()
	if s.cred != nil {
		_ = log.Chown(int(s.cred.Uid), int(s.cred.Gid))
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.cmd = cmd
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		// pg_isready asks the server itself, not just the socket.
		out, err := exec.CommandContext(ctx, filepath.Join(s.bin, "pg_isready"), "-h", "127.0.0.1", "-p", strconv.Itoa(s.port), "-U", "postgres").CombinedOutput()
		if err == nil {
			return
		}
		if ctx.Err() != nil {
			b, _ := os.ReadFile(log.Name())
			s.t.Fatalf("postgres did not start: %v %s\n%s", err, out, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *Server) run(name string, args ...string) {
	s.t.Helper()
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if out, err := cmd.CombinedOutput(); err != nil {
		s.t.Fatalf("%s: %v\n%s", name, err, out)
	}
}

// binDir finds the newest installed PostgreSQL's programs.
func binDir(t testing.TB) string {
	t.Helper()
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Strings(dirs)
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i]
		}
	}
	msg := "PostgreSQL not found (apt-get install postgresql)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + "; CI=true, so this fails instead of skipping")
	}
	t.Skip(msg)
	return ""
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
