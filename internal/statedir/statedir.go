// Package statedir says where cleandns keeps state (list copies, the query
// log, runtime allow entries) when the config names no path.
package statedir

import (
	"os"
	"path/filepath"
	"strings"
)

// Path is chosen to work without root: systemd's $STATE_DIRECTORY (the
// unit's StateDirectory=), else $XDG_STATE_HOME/cleandns, else
// ~/.local/state/cleandns; "" when none of these is known.
func Path() string {
	if d := os.Getenv("STATE_DIRECTORY"); d != "" {
		// systemd may pass several, colon-separated; the first is ours.
		return strings.SplitN(d, ":", 2)[0]
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "cleandns")
	}
	if h, err := os.UserHomeDir(); err == nil && h != "" && h != "/" {
		return filepath.Join(h, ".local", "state", "cleandns")
	}
	return ""
}
