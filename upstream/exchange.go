package upstream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/miekg/dns"
)

// Exchange forwards q (exactly one question) and returns the reply, with
// q's ID, and the name of the upstream that gave it. A SERVFAIL reply is
// returned only when no upstream gave anything better. The error is
// ErrOverloaded at once when MaxConcurrent queries are in flight,
// ErrAllDown with FailFast, and otherwise says why no upstream answered
// before the deadline; the caller answers SERVFAIL.
func (f *Forwarder) Exchange(ctx context.Context, q *dns.Msg) (*dns.Msg, string, error) {
	if len(q.Question) != 1 {
		return nil, "", fmt.Errorf("upstream: query has %d questions, want 1", len(q.Question))
	}
	select {
	case f.sem <- struct{}{}:
		defer func() { <-f.sem }()
	default:
		f.m.Rejected.Inc()
		return nil, "", ErrOverloaded
	}
	// The query's deadline is carried as a value down to each attempt,
	// not as a context: a context with a timeout costs a timer and a
	// registration with its parent, twice per miss with the attempt's.
	deadline := time.Now().Add(f.cfg.Deadline)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}

	g := f.zoneFor(q.Question[0].Name)
	if g == nil {
		g = f.def
	}
	plan := g.plan(f.cfg.FailFast)
	if len(plan) == 0 {
		return nil, "", ErrAllDown
	}
	uq := newQuery(q)
	var res result
	// The clock is read from the second attempt on: the first starts at
	// once (each reading is some hundred instructions, more on a VM).
	for i := 0; i < len(plan) && ctx.Err() == nil && (i == 0 || time.Now().Before(deadline)); {
		n := 1
		if i == 0 && g.strategy == StrategyFastest && len(plan) > 1 {
			n = 2
		}
		res = res.better(f.race(ctx, deadline, uq, plan[i:i+n]))
		if res.final() {
			break
		}
		i += n
	}
	if res.reply == nil {
		if err := ctx.Err(); err != nil {
			res.err = errors.Join(res.err, err)
		} else if !time.Now().Before(deadline) {
			res.err = errors.Join(res.err, context.DeadlineExceeded)
		}
		return nil, "", fmt.Errorf("upstream: no answer for %s %s: %w",
			q.Question[0].Name, dns.TypeToString[q.Question[0].Qtype], res.err)
	}
	res.reply.Id = q.Id // the reply was unpacked for us alone; no copy needed
	return res.reply, res.from, nil
}

// result is the outcome of one or more attempts.
type result struct {
	reply *dns.Msg
	from  string
	err   error
}

// final reports whether the result ends the query: a reply other than
// SERVFAIL (another upstream might still answer a SERVFAIL'd name).
func (r result) final() bool { return r.reply != nil && r.reply.Rcode != dns.RcodeServerFailure }

// better keeps a reply over an error and a final reply over SERVFAIL.
func (r result) better(o result) result {
	switch {
	case o.final(), r.reply == nil && o.reply != nil:
		return o
	case r.reply == nil && o.err != nil:
		return o
	}
	return r
}

// race runs one attempt per upstream concurrently and returns the first
// final result, cancelling the others, or the best when none is final.
func (f *Forwarder) race(ctx context.Context, deadline time.Time, q *dns.Msg, ups []*upstream) result {
	if len(ups) == 1 {
		return f.attempt(ctx, deadline, q, ups[0])
	}
	return f.raceAll(ctx, deadline, q, ups)
}

// raceAll is race for more than one upstream. It is a function of its own
// so that the single attempt's ctx does not escape with the goroutines'.
func (f *Forwarder) raceAll(ctx context.Context, deadline time.Time, q *dns.Msg, ups []*upstream) result {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan result, len(ups))
	for _, u := range ups {
		go func() { ch <- f.attempt(ctx, deadline, q, u) }()
	}
	var best result
	for range ups {
		best = best.better(<-ch)
		if best.final() {
			return best
		}
	}
	return best
}

// attempt asks one upstream within the per-attempt timeout (cut to the
// query's deadline) and records the outcome in its health and the metrics.
// An attempt cancelled because another upstream won the race, or the
// caller gave up, is not held against the upstream; one cut short by the
// overall deadline is, as the upstream had its chance.
func (f *Forwarder) attempt(ctx context.Context, deadline time.Time, q *dns.Msg, u *upstream) result {
	now := time.Now()
	if dl := now.Add(f.cfg.Timeout); dl.Before(deadline) {
		deadline = dl
	}
	start := now // one clock reading for both, unless the tests' clock measures
	if !f.realClock {
		start = f.now()
	}
	r, err := u.t.exchange(ctx, deadline, q)
	elapsed := f.now().Sub(start)
	if err != nil && errors.Is(ctx.Err(), context.Canceled) {
		return result{err: fmt.Errorf("%s: %w", u.ep.name, err)}
	}
	f.m.Duration.WithLabelValues(u.ep.name, u.ep.proto).Observe(elapsed.Seconds())
	if err == nil && r.Rcode == dns.RcodeRefused {
		err = errRefused
	}
	if err != nil {
		f.m.Errors.WithLabelValues(u.ep.name, reason(err)).Inc()
		f.markFailed(u)
		return result{err: fmt.Errorf("%s: %w", u.ep.name, err)}
	}
	if r.Rcode == dns.RcodeServerFailure {
		// Counted, but not a health failure: it may concern this name only.
		f.m.Errors.WithLabelValues(u.ep.name, reasonServfail).Inc()
	}
	f.markSucceeded(u, elapsed)
	return result{reply: r, from: u.ep.name}
}
