// Package resolver holds the request pipeline: the edge that adapts a
// dns.Handler to it, and the links that each decide, in a fixed order,
// whether to answer a query or pass it on.
//
// The link contract, written once:
//
//   - A Link receives the request and the rest of the chain as next. It
//     either answers, returning a Response that says where the answer came
//     from (its provenance), or passes the query on. Links never write to
//     the client; only the Edge does. An error means "I could not answer";
//     the edge turns it into SERVFAIL.
//   - Every link runs once per query. A UDP query first runs inline, on the
//     socket's reading goroutine, which must never wait. A link that would
//     wait (for an upstream) calls suspend with the work left instead, and
//     the edge resumes the query there, on a goroutine of its own: the
//     links before the stop do not run again, and what they decided (the
//     client, its group, the block verdict, the rate-limit token taken, the
//     cache miss counted) stands.
//   - Work on the way back (looking at or replacing what next returned)
//     goes through Then, never after a bare next.Resolve: Then runs it now,
//     or keeps it for the resumed run, so it too runs exactly once. (Links
//     after the stop, dedup onwards, never run inline; for them a bare
//     next.Resolve is the same.)
//   - A link may keep nothing of the request or response past its return,
//     except by copying (req.Msg and req.Scratch belong to the edge). A
//     goroutine a link starts on a query's behalf runs through goSafe, which
//     recovers and counts a panic as the edge does.
package resolver

import (
	"context"
	"errors"

	"github.com/cleandns/cleandns/query"
)

// ErrWouldBlock is what a suspended inline run returns, up through the links
// to the edge, which resumes it.
var ErrWouldBlock = errors.New("would block: resume on another goroutine")

// suspend stops an inline run where it must wait: rest is the work left.
func suspend(req *query.Request, rest query.Rest) (*query.Response, error) {
	req.Suspend(rest)
	return nil, ErrWouldBlock
}

// Then calls next and hands its result to back, the link's way back. When
// next suspended an inline run, back is kept with the request and gets the
// result once the resumed run has it, so it runs exactly once either way.
func Then(ctx context.Context, req *query.Request, next Handler, back query.Continuation) (*query.Response, error) {
	resp, err := next.Resolve(ctx, req)
	if err == ErrWouldBlock && req.Suspended() {
		req.Return(back)
		return nil, err
	}
	return back.Continue(ctx, req, resp, err)
}

// Handler resolves a request. The forwarder at the end of the chain is a
// Handler; so is a chain of links.
type Handler interface {
	Resolve(ctx context.Context, req *query.Request) (*query.Response, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, req *query.Request) (*query.Response, error)

// Resolve calls f.
func (f HandlerFunc) Resolve(ctx context.Context, req *query.Request) (*query.Response, error) {
	return f(ctx, req)
}

// Link is one step of the pipeline. It receives the rest of the chain as
// next, so it cannot be wired out of order by accident.
type Link interface {
	Resolve(ctx context.Context, req *query.Request, next Handler) (*query.Response, error)
}

// Chain returns a Handler that runs links in order and ends with final.
func Chain(final Handler, links ...Link) Handler {
	h := final
	for i := len(links) - 1; i >= 0; i-- {
		if s, ok := links[i].(inlineStop); ok {
			h = &boundStop{stop: s, next: h, rest: s.rest(h)}
			continue
		}
		h = &chained{link: links[i], next: h}
	}
	return h
}

type chained struct {
	link Link
	next Handler
}

func (c *chained) Resolve(ctx context.Context, req *query.Request) (*query.Response, error) {
	return c.link.Resolve(ctx, req, c.next)
}
