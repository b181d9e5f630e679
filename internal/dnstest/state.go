package dnstest

import (
	"fmt"
	"os"
	"testing"
)

// RunIsolated runs a package's tests (from TestMain) with the state
// directory in a temporary folder, so that no test reads or writes the
// query log, allow list or list store of the user running them; a full
// query log there also made every server start slow.
func RunIsolated(m *testing.M) int {
	dir, err := os.MkdirTemp("", "cleandns-state")
	if err != nil {
		fmt.Fprintln(os.Stderr, "state directory:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	os.Setenv("XDG_STATE_HOME", dir)
	os.Unsetenv("STATE_DIRECTORY")
	return m.Run()
}
