//go:build !linux

package querylog

// idleThread is a no-op where there is no SCHED_IDLE.
func idleThread() error { return nil }
