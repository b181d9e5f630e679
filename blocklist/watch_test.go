package blocklist

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestWatchedFileTakesEffect: an edited list file is loaded by the watcher,
// without a refresh or a reload; a removed file keeps its entries serving.
func TestWatchedFileTakesEffect(t *testing.T) {
	path := filepath.Join(t.TempDir(), "local.txt")
	if err := os.WriteFile(path, []byte("old.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m, _ := newTestManager(t, Config{WatchInterval: 100 * time.Millisecond}, Policy{Name: "p", Lists: []ListSpec{{Source: path}}})
	startManager(t, m)
	match := m.Matcher("p")
	if _, ok := match.Match("old.example"); !ok {
		t.Fatal("old.example not blocked at start")
	}
	if err := os.WriteFile(path, []byte("new.example\n||pattern*.example^\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the edit to take effect", func() bool {
		_, blocked := match.Match("new.example")
		_, old := match.Match("old.example")
		_, pat := match.Match("pattern1.example")
		return blocked && !old && pat
	})
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // three checks
	if _, ok := match.Match("new.example"); !ok {
		t.Error("a removed file dropped its entries; the last good copy must keep serving")
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}
