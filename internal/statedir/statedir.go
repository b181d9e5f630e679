// Package statedir says where cleandns keeps state (list copies, the query
// log, runtime allow entries) when the config names no path.
package statedir

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Path is chosen to work without root: systemd's $STATE_DIRECTORY (the
// unit's StateDirectory=), else $XDG_STATE_HOME/cleandns, else
// ~/.local/state/cleandns, else a per-user folder under the system's
// temporary directory; the first of these that can be created and written
// wins, so a user with no writable home (HOME=/nonexistent, a service
// account) still starts. "" only when none is writable.
func Path() string {
	p, _ := Resolve()
	return p
}

// Resolve is Path, plus why each earlier candidate was passed over, for the
// start-up log.
func Resolve() (dir string, skipped []string) {
	for _, c := range candidates() {
		if err := writable(c); err != nil {
			skipped = append(skipped, fmt.Sprintf("%s: %v", c, err))
			continue
		}
		return c, skipped
	}
	return "", skipped
}

func candidates() []string {
	var out []string
	if d := os.Getenv("STATE_DIRECTORY"); d != "" {
		// systemd may pass several, colon-separated; the first is ours.
		out = append(out, strings.SplitN(d, ":", 2)[0])
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		out = append(out, filepath.Join(d, "cleandns"))
	}
	if h, err := os.UserHomeDir(); err == nil && h != "" && h != "/" {
		out = append(out, filepath.Join(h, ".local", "state", "cleandns"))
	}
	// Last resort: survives until reboot, which beats not starting.
	return append(out, filepath.Join(os.TempDir(), fmt.Sprintf("cleandns-%d", os.Getuid())))
}

// writable creates dir if needed and proves a file can be made in it.
func writable(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}
