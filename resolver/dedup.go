package resolver

import (
	"context"
	"sync"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cleandns/cleandns/query"
)

// Dedup lets concurrent identical questions share one upstream exchange: a
// burst of clients asking for the same expiring name costs one query, not a
// hundred.
type Dedup struct {
	mu      sync.Mutex
	calls   map[dedupKey]*flight
	counter prometheus.Counter // may be nil
}

type dedupKey struct {
	name         string
	qtype, class uint16
	do, cd       bool
}

type flight struct {
	done chan struct{}
	resp *query.Response // a pristine copy for the followers; never handed out
	err  error
}

// NewDedup returns the in-flight deduplication link; counter counts the
// queries that joined another's exchange.
func NewDedup(counter prometheus.Counter) *Dedup {
	return &Dedup{calls: make(map[dedupKey]*flight), counter: counter}
}

// Resolve runs next once per distinct in-flight question; followers wait for
// the leader's answer and each get their own copy.
func (d *Dedup) Resolve(ctx context.Context, req *query.Request, next Handler) (*query.Response, error) {
	q := req.Msg.Question[0]
	key := dedupKey{name: req.Name, qtype: q.Qtype, class: q.Qclass, do: req.DO(), cd: req.Msg.CheckingDisabled}
	d.mu.Lock()
	if f, ok := d.calls[key]; ok {
		d.mu.Unlock()
		if d.counter != nil {
			d.counter.Inc()
		}
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if f.err != nil {
			return nil, f.err
		}
		return copyResponse(f.resp), nil
	}
	f := &flight{done: make(chan struct{})}
	d.calls[key] = f
	d.mu.Unlock()

	// Release the followers however the leader ends, a panic included
	// (the edge recovers it; the followers get an error, not a hang).
	f.err = errNoAnswer
	defer func() {
		d.mu.Lock()
		delete(d.calls, key)
		d.mu.Unlock()
		close(f.done)
	}()
	resp, err := next.Resolve(ctx, req)
	switch {
	case err != nil:
		f.err = err
	case resp != nil:
		f.resp, f.err = copyResponse(resp), nil
	}
	return resp, err
}

// copyResponse copies r deeply enough that the edge may edit the message.
func copyResponse(r *query.Response) *query.Response {
	c := *r
	if r.Msg != nil {
		c.Msg = r.Msg.Copy()
	}
	if r.Wire != nil {
		c.Wire = append([]byte(nil), r.Wire...)
	}
	return &c
}

type dedupError string

func (e dedupError) Error() string { return string(e) }

const errNoAnswer = dedupError("no answer from the shared exchange")

var _ Link = (*Dedup)(nil)
var _ dns.Handler = (*transport)(nil)
