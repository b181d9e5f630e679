package resolver

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cleandns/cleandns/query"
)

// Limits on what waits for upstreams (Unbound's wait-limit), so that a flood
// of one name that never answers costs a bounded number of goroutines.
const (
	// DefaultClientWaitLimit caps the queries of one client address waiting
	// for an upstream, leaders and followers together (Unbound's default).
	DefaultClientWaitLimit = 1000
	// DefaultMaxFollowers caps the queries waiting on one in-flight exchange.
	DefaultMaxFollowers = 1000
)

// Dedup lets concurrent identical questions share one upstream exchange: a
// burst of clients asking for the same expiring name costs one query, not a
// hundred. It also bounds what waits (per client and per exchange; more is
// answered SERVFAIL with an Extended DNS Error at once) and caches
// resolution failures (RFC 9520), so a name that does not resolve is not
// asked again for every query.
type Dedup struct {
	mu      sync.Mutex
	calls   map[dedupKey]*flight
	waiting map[netip.Addr]int // per client: queries in Resolve
	failed  failCache
	counter prometheus.Counter // may be nil

	clientWaitLimit int
	maxFollowers    int
	now             func() time.Time
}

type dedupKey struct {
	name         string
	qtype, class uint16
	do, cd       bool
}

type flight struct {
	// done is closed when the leader ends. The first follower makes it,
	// under Dedup.mu: most exchanges have none, and a channel is an
	// allocation a miss.
	done      chan struct{}
	followers int             // under Dedup.mu
	resp      *query.Response // a pristine copy for the followers; never handed out
	err       error
}

// NewDedup returns the in-flight deduplication link; counter counts the
// queries that joined another's exchange.
func NewDedup(counter prometheus.Counter) *Dedup {
	return &Dedup{
		calls: make(map[dedupKey]*flight), waiting: map[netip.Addr]int{}, failed: failCache{},
		counter: counter, clientWaitLimit: DefaultClientWaitLimit, maxFollowers: DefaultMaxFollowers, now: time.Now,
	}
}

// Resolve runs next once per distinct in-flight question; followers wait for
// the leader's answer and each get their own copy.
func (d *Dedup) Resolve(ctx context.Context, req *query.Request, next Handler) (*query.Response, error) {
	key := keyOf(req)
	d.mu.Lock()
	f, ok, err := d.admit(key, req.Client)
	if err != nil {
		d.mu.Unlock()
		return nil, err
	}
	d.waiting[req.Client]++
	defer d.done(req.Client)
	if ok {
		f.followers++
		if f.done == nil {
			f.done = make(chan struct{})
		}
		d.mu.Unlock()
		return d.follow(ctx, f)
	}
	f = new(flight)
	d.calls[key] = f
	d.mu.Unlock()

	// Release the followers however the leader ends, a panic included
	// (the edge recovers it; the followers get an error, not a hang).
	f.err = errNoAnswer
	var resp *query.Response
	defer func() {
		d.mu.Lock()
		delete(d.calls, key) // no follower joins from here on
		followed, done := f.followers > 0, f.done
		d.mu.Unlock()
		if followed && f.err == nil && resp != nil {
			// The followers' pristine copy, made only when there are
			// followers: most exchanges have none, and a copy of the
			// message is most of a miss's allocations in the pipeline.
			f.resp = copyResponse(resp)
		}
		d.mu.Lock()
		if resolutionFailed(f, resp) {
			d.failed.add(key, d.now())
		} else if f.err == nil {
			delete(d.failed, key)
		}
		d.mu.Unlock()
		if done != nil {
			close(done)
		}
	}()
	resp, err = next.Resolve(ctx, req)
	if err != nil || resp != nil {
		f.err = err
	}
	return resp, err
}

func keyOf(req *query.Request) dedupKey {
	q := req.Msg.Question[0]
	return dedupKey{name: req.Name, qtype: q.Qtype, class: q.Qclass, do: req.DO(), cd: req.Msg.CheckingDisabled}
}

// admit returns the flight to follow, if any, or why req may not wait;
// under mu.
func (d *Dedup) admit(key dedupKey, client netip.Addr) (*flight, bool, error) {
	if d.failed.failed(key, d.now) {
		return nil, false, errCachedFailure
	}
	if d.waiting[client] >= d.clientWaitLimit {
		return nil, false, errClientWaitLimit
	}
	f, ok := d.calls[key]
	if ok && f.followers >= d.maxFollowers {
		return nil, false, errFollowerLimit
	}
	return f, ok, nil
}

// refuse is admit for an inline run: the error Resolve would return at
// once, if any, so the edge answers it without resuming the query.
func (d *Dedup) refuse(req *query.Request) error {
	key := keyOf(req)
	d.mu.Lock()
	defer d.mu.Unlock()
	_, _, err := d.admit(key, req.Client)
	return err
}

func (d *Dedup) follow(ctx context.Context, f *flight) (*query.Response, error) {
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

func (d *Dedup) done(client netip.Addr) {
	d.mu.Lock()
	if d.waiting[client]--; d.waiting[client] <= 0 {
		delete(d.waiting, client)
	}
	d.mu.Unlock()
}

// resolutionFailed reports whether the flight's outcome is a failure to
// cache: no answer, or SERVFAIL from every upstream (RFC 9520 section 2).
// A query shed or cancelled here, or a leader that panicked, says nothing
// about the name, so is not.
func resolutionFailed(f *flight, resp *query.Response) bool {
	if f.err != nil {
		var shed *edeError
		return !errors.As(f.err, &shed) && !errors.Is(f.err, context.Canceled) && !errors.Is(f.err, errNoAnswer)
	}
	return resp != nil && resp.Result == query.Forwarded && resp.Msg != nil && resp.Msg.Rcode == dns.RcodeServerFailure
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
