package query

import "context"

// Rest is the work an inline run left when it had to wait: the pipeline
// from the link that stopped onwards.
type Rest interface {
	Resolve(ctx context.Context, req *Request) (*Response, error)
}

// Continuation is a link's work on the way back (storing in the cache,
// filtering the answer), kept by a suspended request for its resumed run.
type Continuation interface {
	Continue(ctx context.Context, req *Request, resp *Response, err error) (*Response, error)
}

// Suspend ends an inline run where it must wait: rest is what is left to
// do, and the links the run came through add their ways back (Return) as
// the stop travels back out. Resume picks it up.
// The ways back are kept in r's own array: a copy of r made before it
// suspends (a link's sub-request) gets its own when it suspends.
func (r *Request) Suspend(rest Rest) { r.rest, r.backs = rest, r.backsArray[:0] }

// Return keeps c, the way back of a link whose next suspended the request.
func (r *Request) Return(c Continuation) { r.backs = append(r.backs, c) }

// Suspended reports whether an inline run stopped and waits for Resume.
func (r *Request) Suspended() bool { return r.rest != nil }

// Resume finishes a suspended request on the calling goroutine: it runs
// the rest, then hands the result back through the kept ways back,
// innermost first, exactly as the inline run's call stack would have. The
// decisions the inline run made (client, group, verdicts, tokens taken)
// stand; nothing before the stop runs again. scratch becomes Scratch (the
// inline run's was the socket reader's) for the ways back only, where the
// answer is built: a miss's answer then costs no Response and no buffer of
// its own. The rest never sees it, so nothing shared between requests (a
// deduplicated exchange's answer) can lie in one. It is the caller's own
// until it has sent the answer; nil for none.
func (r *Request) Resume(ctx context.Context, scratch []byte) (*Response, error) {
	rest, backs := r.rest, r.backs
	r.rest, r.backs, r.Inline, r.Scratch = nil, nil, false, nil
	resp, err := rest.Resolve(ctx, r)
	r.Scratch = scratch
	for _, c := range backs {
		resp, err = c.Continue(ctx, r, resp, err)
	}
	// A recycled Request holds no link of an old pipeline (backs outgrew
	// the array when it is not in it).
	clear(backs)
	clear(r.backsArray[:])
	return resp, err
}
