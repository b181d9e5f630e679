package transport

import "sync/atomic"

// dohWorkers answers DoH queries on goroutines that outlive a query.
//
// net/http starts a goroutine per HTTP/2 request, with the runtime's
// smallest stack, and the pipeline behind the edge is deep: every query
// grew that stack two or three times, copying it each time, which was the
// largest single cost of a DoH query (BenchmarkDoHServer under callgrind:
// close to a third of the server's instructions were stack copying). A
// worker's stack grows once and is kept, so the request's goroutine only
// hands the query over and waits.
type dohWorkers struct {
	serve   func(*dohQuery)
	jobs    chan *dohQuery // unbuffered: a send succeeds only to an idle worker
	stop    chan struct{}
	idle    atomic.Int32
	maxIdle int32
}

// maxIdleDoHWorkers bounds the workers kept waiting; more run while that
// many queries are being answered at once and end when they are done.
const maxIdleDoHWorkers = 128

func newDoHWorkers(serve func(*dohQuery)) *dohWorkers {
	return &dohWorkers{serve: serve, jobs: make(chan *dohQuery), stop: make(chan struct{}), maxIdle: maxIdleDoHWorkers}
}

// run answers dq on a worker and returns when it is answered. A panic
// there is raised again here, on the request's goroutine, where net/http
// expects it.
func (p *dohWorkers) run(dq *dohQuery) {
	select {
	case p.jobs <- dq:
	default:
		go p.work(dq)
	}
	<-dq.done
	if v := dq.panicked; v != nil {
		panic(v)
	}
}

func (p *dohWorkers) work(dq *dohQuery) {
	for {
		p.one(dq)
		if p.idle.Add(1) > p.maxIdle {
			p.idle.Add(-1)
			return
		}
		select {
		case dq = <-p.jobs:
			p.idle.Add(-1)
		case <-p.stop:
			p.idle.Add(-1)
			return
		}
	}
}

// one answers dq; after it signals done, dq belongs to the request again.
func (p *dohWorkers) one(dq *dohQuery) {
	defer func() {
		dq.panicked = recover()
		dq.done <- struct{}{}
	}()
	p.serve(dq)
}

// close ends the idle workers; a query after it gets a goroutine of its own.
func (p *dohWorkers) close() { close(p.stop) }
