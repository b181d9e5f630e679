package querylog

import (
	"sync"
	"time"
)

// ring holds the records waiting for the writer. When it is full a new
// record overwrites the oldest: under overload the log keeps the newest
// records, which are the ones asked about ("what is this laptop doing
// now?"), and the caller counts the one lost. The writer takes everything
// at once by swapping in an empty buffer, so a query holds the lock for a
// copy and the writer for a swap. Each lane has its own (lanes.go): the
// lock is one loop's and the writer's, never two loops'.
type ring struct {
	mu   sync.Mutex
	buf  []entry
	head int // index of the oldest record
	n    int // records waiting
}

// push adds e, and reports whether it overwrote the oldest record, which
// it then copies to old.
func (r *ring) push(e, old *entry) (lost bool) {
	r.mu.Lock()
	if r.n == len(r.buf) {
		*old = r.buf[r.head]
		r.buf[r.head] = *e
		r.head++
		if r.head == len(r.buf) {
			r.head = 0
		}
		lost = true
	} else {
		i := r.head + r.n
		if i >= len(r.buf) {
			i -= len(r.buf)
		}
		r.buf[i] = *e
		r.n++
	}
	r.mu.Unlock()
	return lost
}

// waiting is how many records wait and when the oldest of them started.
func (r *ring) waiting() (int, time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == 0 {
		return 0, time.Time{}
	}
	return r.n, r.buf[r.head].start
}

// take swaps spare (a buffer of the ring's size, its contents unused) for
// the waiting records, and returns them oldest first as the buffer and its
// window: records buf[head:], then buf[:n-(len-head)].
func (r *ring) take(spare []entry) (buf []entry, head, n int) {
	r.mu.Lock()
	buf, head, n = r.buf, r.head, r.n
	r.buf, r.head, r.n = spare, 0, 0
	r.mu.Unlock()
	return buf, head, n
}

// taken is the records a take returned, oldest first, in at most two runs.
func taken(buf []entry, head, n int) (first, second []entry) {
	if head+n <= len(buf) {
		return buf[head : head+n], nil
	}
	return buf[head:], buf[:n-(len(buf)-head)]
}
