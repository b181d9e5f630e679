package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/querylog"
)

// TestQueryLogSurvivesKill9 runs the real binary, sends a known set of
// queries at a steady rate, kills the process with SIGKILL and reopens its
// query log: every query answered more than a second before the kill must
// be there (the README's promise), and none may be there twice.
func TestQueryLogSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "querylog.db")
	addr := freeUDP(t)
	cmd := exec.Command(bin, "serve", "--listen", addr, "--http", "127.0.0.1:0", "--upstream", "127.0.0.1:9")
	cmd.Env = append(os.Environ(), "STATE_DIRECTORY="+dir, "CLEANDNS_QUERYLOG_PATH="+db)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	if rc := waitBlocked(addr, "tiktok.com.", 10*time.Second); rc != dns.RcodeNameError {
		t.Fatalf("tiktok.com: rcode %d, want NXDOMAIN", rc)
	}

	// 3 s at about 2,000 queries a second, each name once, then the kill
	// right after the last answer.
	const rate, seconds = 2000, 3
	answered := map[string]time.Time{}
	c := &dns.Client{Timeout: time.Second}
	tick := time.NewTicker(time.Second / rate)
	for i := 0; i < rate*seconds; i++ {
		<-tick.C
		name := fmt.Sprintf("k%d.tiktok.com.", i)
		if r, _, err := c.Exchange(new(dns.Msg).SetQuestion(name, dns.TypeA), addr); err == nil && r.Rcode == dns.RcodeNameError {
			answered[name] = time.Now()
		}
	}
	tick.Stop()
	killed := time.Now()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	st, err := querylog.OpenSQLite(db, 0)
	if err != nil {
		t.Fatalf("reopening the log after kill -9: %v", err)
	}
	defer st.Close()
	recs, err := st.Search(context.Background(), querylog.Query{Name: ".tiktok.com.", Limit: querylog.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]int{}
	for _, r := range recs {
		stored[r.Name]++
	}
	var old, oldLost, recent, recentStored int
	for name, at := range answered {
		switch {
		case killed.Sub(at) > time.Second:
			old++
			if stored[name] == 0 {
				oldLost++
			}
		default:
			recent++
			if stored[name] > 0 {
				recentStored++
			}
		}
		if stored[name] > 1 {
			t.Errorf("%s stored %d times", name, stored[name])
		}
	}
	t.Logf("answered %d: %d more than 1 s before the kill (%d lost), %d in the last second (%d stored)",
		len(answered), old, oldLost, recent, recentStored)
	if len(answered) < rate*seconds*9/10 || old == 0 {
		t.Fatalf("only %d of %d queries answered", len(answered), rate*seconds)
	}
	if oldLost > 0 {
		t.Errorf("%d of the %d queries answered more than a second before kill -9 are not in the log", oldLost, old)
	}
}
