package resolver

import (
	"context"
	"fmt"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/blocklist"
	"github.com/cleandns/cleandns/query"
)

// maxRewriteChain bounds how many CNAME rewrites one query follows, so two
// rules rewriting to each other cannot loop.
const maxRewriteChain = 8

// rewriteDepthKey carries, in a chased target's context, how many rewrites
// its CNAME chain has followed, so rules rewriting to each other end.
type rewriteDepthKey struct{}

// rewritten answers a query a list rewrites ($dnsrewrite, a hosts line's
// address, address=/x/ip): an rcode alone, the records of the query's type
// (none is NODATA), or a CNAME whose target is resolved through the rest
// of the pipeline, as AdGuard Home does, so that stub resolvers that do not
// chase CNAMEs still get addresses.
func (b *BlockLink) rewritten(ctx context.Context, req *query.Request, d blocklist.Decision, next Handler) (*query.Response, error) {
	m := new(dns.Msg)
	m.SetReply(req.Msg)
	m.RecursionAvailable = true
	q := req.Msg.Question[0]
	var target string
	for _, rw := range d.Rewrite {
		if rw.RR == nil {
			m.Rcode = rw.RCode
			continue
		}
		if rw.Type != q.Qtype && rw.Type != dns.TypeCNAME {
			continue
		}
		rr := dns.Copy(rw.RR)
		rr.Header().Name, rr.Header().Ttl = q.Name, b.mode.ttl
		m.Answer = append(m.Answer, rr)
		if c, ok := rr.(*dns.CNAME); ok && q.Qtype != dns.TypeCNAME && target == "" {
			target = c.Target
		}
	}
	if target != "" {
		if req.Inline {
			return suspend(req, &rewriteWait{b: b, d: d, next: next}) // the chase may wait for an upstream
		}
		if err := b.chase(ctx, req, m, target, next); err != nil {
			return nil, err
		}
	}
	resp := &query.Response{Msg: m, Result: query.Local, Reason: "rewrite", List: d.Rule.List, Rule: d.Rule.Text, Group: req.Group}
	return resp, nil
}

// chase appends the answer for a rewrite's CNAME target to m. The target
// goes through the links after this one (cache, forward), or through this
// one again when a rule rewrites it too.
func (b *BlockLink) chase(ctx context.Context, req *query.Request, m *dns.Msg, target string, next Handler) error {
	depth, _ := ctx.Value(rewriteDepthKey{}).(int)
	if depth >= maxRewriteChain {
		return nil
	}
	ctx = context.WithValue(ctx, rewriteDepthKey{}, depth+1)
	sub := *req
	sub.Msg = new(dns.Msg)
	sub.Msg.SetQuestion(target, req.Type)
	sub.Msg.RecursionDesired = true
	sub.Name = target
	sub.Scratch = nil // the outer answer is built while sub's is read
	resp, err := b.Resolve(ctx, &sub, next)
	if err != nil {
		return err
	}
	ans, err := resp.Message()
	if err != nil {
		return fmt.Errorf("rewrite target %s: %w", target, err)
	}
	if ans != nil {
		m.Answer = append(m.Answer, ans.Answer...)
		if ans.Rcode != dns.RcodeSuccess && len(m.Answer) == 1 {
			m.Rcode = ans.Rcode
		}
	}
	return nil
}

// safeSearchDecision is the rewrite of a search engine's name to its
// provider's safe-search name.
func safeSearchDecision(target string) blocklist.Decision {
	cname := &dns.CNAME{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeCNAME, Class: dns.ClassINET}, Target: target}
	return blocklist.Decision{
		Rule:    blocklist.Rule{List: "safe-search", Domain: target, Text: "safe search: " + target},
		Rewrite: []blocklist.Rewrite{{Type: dns.TypeCNAME, RR: cname}},
	}
}

// rewriteWait is a rewrite whose CNAME target must be chased, left for a
// resumed run.
type rewriteWait struct {
	b    *BlockLink
	d    blocklist.Decision
	next Handler
}

func (w *rewriteWait) Resolve(ctx context.Context, req *query.Request) (*query.Response, error) {
	return w.b.rewritten(ctx, req, w.d, w.next)
}
