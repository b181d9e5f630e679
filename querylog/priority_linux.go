package querylog

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// idleThread locks the calling goroutine (the writer) to its OS thread and
// puts that thread in the SCHED_IDLE class, so the kernel runs it only on
// CPU no other thread wants, and preempts it at once when a DNS thread
// wakes. The thread is never unlocked: it exits with the writer, so no
// other goroutine ever runs at idle priority.
func idleThread() error {
	runtime.LockOSThread()
	attr := unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_IDLE}
	return unix.SchedSetAttr(0, &attr, 0)
}
