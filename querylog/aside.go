package querylog

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// keepCorrupt is how many corrupt logs moved aside are kept for a look:
// each may be as large as the log, and a disk that keeps tearing pages
// must not fill up with them.
const keepCorrupt = 3

// moveAside renames the corrupt log at path (with its -wal and -shm files)
// to path.corrupt-<time>, then removes the oldest moved-aside logs beyond
// keepCorrupt. It returns the new name and the removed ones.
func moveAside(path string, now time.Time) (string, []string, error) {
	aside := fmt.Sprintf("%s.corrupt-%d", path, now.UnixNano())
	if err := os.Rename(path, aside); err != nil {
		return "", nil, err
	}
	for _, ext := range []string{"-wal", "-shm"} {
		_ = os.Rename(path+ext, aside+ext)
	}
	pruned, err := pruneAside(path, keepCorrupt)
	return aside, pruned, err
}

// pruneAside removes all but the newest keep moved-aside logs of path.
// Their names end in the time they were moved, so the newest sort last
// among names of one length; older names in seconds sort shorter.
func pruneAside(path string, keep int) ([]string, error) {
	matches, err := filepath.Glob(path + ".corrupt-*")
	if err != nil {
		return nil, err
	}
	var logs []string
	for _, m := range matches {
		if !strings.HasSuffix(m, "-wal") && !strings.HasSuffix(m, "-shm") {
			logs = append(logs, m)
		}
	}
	slices.SortFunc(logs, func(a, b string) int {
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return strings.Compare(a, b)
	})
	var removed []string
	for len(logs) > keep {
		old := logs[0]
		logs = logs[1:]
		for _, f := range []string{old, old + "-wal", old + "-shm"} {
			if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
				return removed, fmt.Errorf("remove %s: %w", f, err)
			}
		}
		removed = append(removed, old)
	}
	return removed, nil
}
