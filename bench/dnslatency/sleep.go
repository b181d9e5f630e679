//go:build linux

package main

import (
	"fmt"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// sleeper waits for the next query's turn without spinning. It locks the
// calling goroutine to its OS thread, because the timer slack it sets (1 ns,
// against the default 50 µs, which would make every wake-up up to 50 µs late
// and so bunch the queries) belongs to that thread; the caller unlocks it
// when done.
type sleeper struct{}

func newSleeper() (*sleeper, error) {
	runtime.LockOSThread()
	if err := unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("PR_SET_TIMERSLACK: %w", err)
	}
	return &sleeper{}, nil
}

// sleep blocks for d, or less when a signal (the Go runtime's preemption)
// cuts it short: the caller checks the clock again either way.
func (*sleeper) sleep(d time.Duration) {
	if d <= 0 {
		return
	}
	ts := unix.NsecToTimespec(int64(d))
	_ = unix.Nanosleep(&ts, nil)
}
