package querylog

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A full disk: the writer's process may write files of at most 1 MB
// (RLIMIT_FSIZE, in a child process so the test's own files are not
// limited). Every record is then stored or counted lost with reason
// write_error; none vanishes.
func TestDiskFullWritesCounted(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestDiskFullChild$", "-test.v")
	cmd.Env = append(os.Environ(), "QUERYLOG_DISKFULL_DIR="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var recorded, lostWrite, lostOther int64
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "RESULT ") {
			fmt.Sscanf(line, "RESULT recorded=%d write_error=%d other=%d", &recorded, &lostWrite, &lostOther)
		}
	}
	st, err := OpenSQLite(filepath.Join(dir, "q.db"), 0)
	if err != nil {
		t.Fatalf("reopening the log the full disk stopped: %v", err)
	}
	defer st.Close()
	var stored int64
	if err := st.db.QueryRow(`SELECT COALESCE(SUM(n), 0) FROM chunks`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %d, stored %d, lost to write errors %d, otherwise %d", recorded, stored, lostWrite, lostOther)
	if recorded == 0 || lostWrite == 0 {
		t.Fatalf("the disk never filled (recorded %d, write errors %d):\n%s", recorded, lostWrite, out)
	}
	if stored+lostWrite+lostOther != recorded {
		t.Errorf("stored %d + lost %d + %d != recorded %d", stored, lostWrite, lostOther, recorded)
	}
}

// TestDiskFullChild is the child of TestDiskFullWritesCounted.
func TestDiskFullChild(t *testing.T) {
	dir := os.Getenv("QUERYLOG_DISKFULL_DIR")
	if dir == "" {
		t.Skip("run by TestDiskFullWritesCounted")
	}
	signal.Ignore(syscall.SIGXFSZ) // a write past the limit fails with EFBIG instead of killing the process
	lim := syscall.Rlimit{Cur: 1 << 20, Max: 1 << 20}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	dropped := NewDroppedCounter("test")
	l, err := New(Config{Path: filepath.Join(dir, "q.db"), Buffer: 100_000, FlushInterval: time.Hour, MaxWriterCPU: 1}, Deps{Dropped: dropped})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var recorded int64
	for round := 0; round < 200 && lostCount(dropped, LostWriteError) < 5000; round++ {
		for i := range 1000 {
			req, resp := request(fmt.Sprintf("10.0.%d.%d", round%250, i%250), fmt.Sprintf("r%d-%d.example.", round, i))
			l.Record(req, resp, 0, time.Millisecond)
			recorded++
		}
		_ = l.Flush(ctx)
	}
	if err := l.Close(); err != nil {
		t.Logf("close: %v", err)
	}
	other := lostCount(dropped, LostOverflow) + lostCount(dropped, LostUnavailable) + lostCount(dropped, LostClosed)
	fmt.Printf("RESULT recorded=%d write_error=%d other=%d\n", recorded, lostCount(dropped, LostWriteError), other)
}
