// Package resolver holds the request pipeline: the edge that adapts a
// dns.Handler to it, and the links that each decide, in a fixed order,
// whether to answer a query or pass it on.
//
// The contract, written once: a Link receives the request and the rest of the
// chain as next. It either answers, returning a Response that says where the
// answer came from (its provenance), or calls next and may inspect or replace
// what next returned. Links never write to the client; only the Edge does.
// An error means "I could not answer"; the edge turns it into SERVFAIL.
package resolver

import (
	"context"
	"errors"

	"github.com/cleandns/cleandns/query"
)

// ErrWouldBlock is returned by a link asked to wait during an inline run.
var ErrWouldBlock = errors.New("would block: resume on another goroutine")

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
