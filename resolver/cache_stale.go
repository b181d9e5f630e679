package resolver

import (
	"context"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/zap"

	"github.com/cleandns/cleandns/cache"
	"github.com/cleandns/cleandns/query"
)

type fetched struct {
	resp *query.Response
	err  error
}

// good reports whether a fetch produced an answer worth giving the client
// rather than the stale one: RFC 8767 falls back on stale for SERVFAIL too.
func (f fetched) good() bool {
	return f.err == nil && f.resp != nil && f.resp.Msg != nil && f.resp.Msg.Rcode != dns.RcodeServerFailure
}

// staleOrFresh handles an expired entry still within the stale age: stale
// straight away while the failure-recheck timer runs, otherwise the upstream
// answer if it comes in time and is good, else the stale one.
func (l *CacheLink) staleOrFresh(ctx context.Context, req *query.Request, next Handler, k cache.Key, e *cache.Entry, now time.Time) (*query.Response, error) {
	if !l.cache.RecheckDue(e, now) {
		return l.serveStale(e, req, now)
	}
	if req.Inline {
		return suspend(req, &staleWait{l: l, next: next, k: k, e: e}) // the wait below is for a goroutine of its own
	}
	done := l.refresh(ctx, req, next, k, e)
	timer := time.NewTimer(l.cfg.ClientTimeout)
	defer timer.Stop()
	select {
	case f := <-done:
		if f.good() {
			return f.resp, nil
		}
	case <-timer.C:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return l.serveStale(e, req, now)
}

// staleWait is staleOrFresh left for a resumed run.
type staleWait struct {
	l    *CacheLink
	next Handler
	k    cache.Key
	e    *cache.Entry
}

func (w *staleWait) Resolve(ctx context.Context, req *query.Request) (*query.Response, error) {
	return w.l.staleOrFresh(ctx, req, w.next, w.k, w.e, w.l.cache.Now())
}

func (l *CacheLink) serveStale(e *cache.Entry, req *query.Request, now time.Time) (*query.Response, error) {
	resp, err := answer(e, req, now, true)
	if err == nil {
		l.metrics.CacheStaleServed.Inc()
	}
	return resp, err
}

// refresh fetches the answer in the background, detached from the client's
// cancellation, stores it if good or starts the entry's failure-recheck
// timer if not, and delivers the outcome on the returned channel, which
// nobody has to read.
func (l *CacheLink) refresh(ctx context.Context, req *query.Request, next Handler, k cache.Key, e *cache.Entry) <-chan fetched {
	done := make(chan fetched, 1)
	r := *req
	r.Msg = req.Msg.Copy() // the edge owns req.Msg once the client is answered
	r.Inline = false
	r.Scratch = nil // the socket reader's buffer: not this goroutine's to write
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), backgroundTimeout)
	l.wg.Add(1)
	goSafe(l.log, l.metrics, func() {
		defer l.wg.Done()
		defer cancel()
		resp, err := next.Resolve(bg, &r)
		f := fetched{resp, err}
		if f.good() {
			l.store(k, resp)
		} else {
			l.cache.Failed(e, l.cache.Now())
			l.log.Debug("cache refresh failed", zap.String("name", r.Name), zap.Error(err))
		}
		done <- f
	})
	return done
}
