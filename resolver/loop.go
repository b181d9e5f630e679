package resolver

import (
	"context"
	"strings"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/query"
)

// LoopLink answers loop probes locally when observe says so: our own,
// which came back through our upstreams (answering them here reports the
// loop without feeding it), and another instance's seen twice
// (upstream.LoopDetector.Observe says which); the rest go on.
type LoopLink struct {
	zone    string            // the probe zone, lowercased and fully qualified
	observe func(string) bool // records a probe that came back; true: answer it here
}

// NewLoopLink returns the link for probes under zone; observe is told of
// every such name (upstream.LoopDetector.Observe).
func NewLoopLink(zone string, observe func(string) bool) *LoopLink {
	return &LoopLink{zone: strings.ToLower(dns.Fqdn(zone)), observe: observe}
}

// Resolve answers NXDOMAIN for the probe names observe keeps and passes
// the rest on; the
// common case costs one suffix comparison.
func (l *LoopLink) Resolve(ctx context.Context, req *query.Request, next Handler) (*query.Response, error) {
	if !strings.HasSuffix(req.Name, l.zone) || !l.observe(req.Name) {
		return next.Resolve(ctx, req)
	}
	m := new(dns.Msg)
	m.SetRcode(req.Msg, dns.RcodeNameError)
	return &query.Response{Msg: m, Result: query.Local, Reason: "loop-probe"}, nil
}
