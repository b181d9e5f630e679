package resolver

import (
	"context"

	"github.com/cleandns/cleandns/query"
)

// ResponseFilter blocks answers whose CNAME chain reaches a name the client's
// group blocks. Trackers and apps hide behind CDN aliases this way (a
// first-party name that is a CNAME for a TikTok host); checking only the
// query name would let them through.
type ResponseFilter struct {
	block   *BlockLink
	matcher MatcherFunc
}

// NewResponseFilter returns the link; block builds the block answers.
func NewResponseFilter(block *BlockLink, matcher MatcherFunc) *ResponseFilter {
	return &ResponseFilter{block: block, matcher: matcher}
}

// Resolve passes the query on and checks what comes back, cached answers
// included, against the client's own group.
func (f *ResponseFilter) Resolve(ctx context.Context, req *query.Request, next Handler) (*query.Response, error) {
	return Then(ctx, req, next, f)
}

// Continue is the filter's work: it runs on the way back.
func (f *ResponseFilter) Continue(_ context.Context, req *query.Request, resp *query.Response, err error) (*query.Response, error) {
	if err != nil || resp == nil || !resp.Sends() || (resp.Result != query.Forwarded && resp.Result != query.Cached) {
		return resp, err
	}
	m := f.matcher(req.Group)
	if m == nil {
		return resp, nil
	}
	for t := range resp.CNAMETargets() {
		if rule, blocked := m.Match(t); blocked {
			return f.block.Blocked(req, rule, t), nil
		}
	}
	return resp, nil
}
