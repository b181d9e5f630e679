//go:build unix

package querylog

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the process has used, and whether it could be
// read. The writer's share is measured with it (see batcher.poll).
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
