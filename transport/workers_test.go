package transport

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestWorkersReuseAndExit checks a worker takes the tasks that come while
// it waits (one goroutine for tasks one after another), more workers start
// for tasks at once, and they exit once idle for their period, or when
// done is closed.
func TestWorkersReuseAndExit(t *testing.T) {
	tests := []struct {
		name      string
		tasks     int // run at once, then again one at a time
		closeDone bool
		idleFor   time.Duration
	}{
		{"one at a time, idle exit", 1, false, 50 * time.Millisecond},
		{"four at once, idle exit", 4, false, 50 * time.Millisecond},
		{"four at once, done closed", 4, true, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var running, peak atomic.Int64
			release := make(chan struct{})
			var wg sync.WaitGroup
			do := func(block bool) {
				n := running.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				if block {
					<-release
				}
				running.Add(-1)
				wg.Done()
			}
			done := make(chan struct{})
			w := newWorkers(do, done)
			w.idleFor = tt.idleFor
			wg.Add(tt.tasks)
			for range tt.tasks {
				w.run(true)
			}
			waitFor(t, func() bool { return running.Load() == int64(tt.tasks) })
			started := w.live.Load()
			close(release)
			wg.Wait()
			if started != int64(tt.tasks) || peak.Load() != int64(tt.tasks) {
				t.Errorf("%d tasks at once: %d workers, %d running at peak", tt.tasks, started, peak.Load())
			}
			// Now one at a time: the workers waiting take them, none starts.
			for range 20 {
				wg.Add(1)
				w.run(false)
				wg.Wait()
				time.Sleep(time.Millisecond) // the worker is back waiting
			}
			if n := w.live.Load(); n > int64(tt.tasks) {
				t.Errorf("%d workers after tasks one at a time, want at most %d", n, tt.tasks)
			}
			if tt.closeDone {
				close(done)
			}
			waitFor(t, func() bool { return w.live.Load() == 0 })
			if !tt.closeDone {
				close(done)
			}
		})
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
	}
}
