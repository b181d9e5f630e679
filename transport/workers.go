package transport

import (
	"sync/atomic"
	"time"
)

// workerIdle is how long a worker waits for its next task before it exits
// (between one and two of it: see work): long enough to be reused under any
// steady load, short enough that the workers a burst started (up to a
// connection's MaxInFlight each, or a socket's maxResumed) are gone soon
// after it.
const workerIdle = time.Second

// workers runs tasks of type T on goroutines that outlive a task: a task is
// handed to a worker waiting for one, else to a new worker, so there are
// never more workers than tasks running at once. A goroutine per task
// started each on a small stack that the pipeline's call chain then grew
// (runtime.newstack and copystack were a third of a UDP cache miss's
// instructions with the stack start fixed, and 5% of its CPU otherwise); a
// worker keeps its stack. A worker exits once idle for a whole idleFor, or
// once done is closed and it is idle.
type workers[T any] struct {
	do      func(T)
	idle    chan T // unbuffered: taken only by a waiting worker
	done    <-chan struct{}
	idleFor time.Duration
	live    atomic.Int64 // workers running; changed only as one starts or exits
}

func newWorkers[T any](do func(T), done <-chan struct{}) *workers[T] {
	return &workers[T]{do: do, idle: make(chan T), done: done, idleFor: workerIdle}
}

// run runs t on a worker; it never waits for one.
func (w *workers[T]) run(t T) {
	select {
	case w.idle <- t:
	default:
		w.live.Add(1)
		go w.work(t)
	}
}

// work runs t, then the tasks handed to it, until it is idle for a whole
// period of its timer. The timer is re-armed when it fires, not after each
// task: resetting a runtime timer per task (a cache miss each, on the UDP
// loop's workers) took the timers' lock and reordered their heap every
// time. So a worker exits after between idleFor and twice that without a
// task.
func (w *workers[T]) work(t T) {
	defer w.live.Add(-1)
	tick := time.NewTimer(w.idleFor)
	defer tick.Stop()
	w.do(t)
	worked := true // a task ran since the timer was armed
	for {
		select {
		case t = <-w.idle:
			w.do(t)
			worked = true
		case <-tick.C:
			if !worked {
				return
			}
			worked = false
			tick.Reset(w.idleFor)
		case <-w.done:
			return
		}
	}
}
