package statedir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolveSkipsUnwritable(t *testing.T) {
	tmp := t.TempDir()
	ro := filepath.Join(tmp, "ro")
	if err := os.Mkdir(ro, 0o500); err != nil {
		t.Fatal(err)
	}
	if os.Getuid() == 0 {
		t.Skip("root writes into a 0500 folder; the unprivileged start-up test in cmd/cleandns covers this as root")
	}
	good := filepath.Join(tmp, "xdg")
	t.Setenv("STATE_DIRECTORY", filepath.Join(ro, "state"))
	t.Setenv("XDG_STATE_HOME", good)
	dir, skipped := Resolve()
	if dir != filepath.Join(good, "cleandns") {
		t.Errorf("Resolve() = %q, want the XDG folder", dir)
	}
	if len(skipped) != 1 || !strings.Contains(skipped[0], "permission denied") {
		t.Errorf("skipped = %q, want the read-only STATE_DIRECTORY with its reason", skipped)
	}
}

func TestResolveFallsBackToTemp(t *testing.T) {
	t.Setenv("STATE_DIRECTORY", "")
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", "/")
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dir, _ := Resolve()
	if !strings.HasPrefix(dir, tmp) {
		t.Errorf("Resolve() = %q, want a folder under TMPDIR %s", dir, tmp)
	}
}
