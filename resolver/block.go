package resolver

import (
	"context"
	"net/netip"
	"strings"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/blocklist"
	"github.com/cleandns/cleandns/policy"
	"github.com/cleandns/cleandns/query"
	"github.com/cleandns/cleandns/safesearch"
)

// BlockMode is how the block link answers: the parsed policy.BlockConfig.
type BlockMode struct {
	kind string // nxdomain, nodata, null_ip, refused, ips
	ips  []netip.Addr
	ttl  uint32
	// soaRData is soa's RDATA, packed once: the packed block answer
	// (block_wire.go) carries the very SOA the message form does.
	soaRData []byte
}

// ParseBlockMode validates cfg and returns the mode it describes.
func ParseBlockMode(cfg policy.BlockConfig) (BlockMode, error) {
	a, err := cfg.Parse()
	m := BlockMode{kind: a.Kind, ips: a.IPs, ttl: a.TTL}
	m.soaRData = rdataOf(m.soa(blocklist.Rule{}))
	return m, err
}

// Answer builds the block answer to r for a name matched by rule.
func (m BlockMode) Answer(r *dns.Msg, rule blocklist.Rule) *dns.Msg {
	out := new(dns.Msg)
	out.SetReply(r)
	q := r.Question[0]
	switch m.kind {
	case "refused":
		out.Rcode = dns.RcodeRefused
		return out
	case "nodata":
		out.Ns = []dns.RR{m.soa(rule)}
		return out
	case "null_ip", "ips":
		out.Answer = m.addresses(q)
		if len(out.Answer) == 0 {
			out.Ns = []dns.RR{m.soa(rule)} // NODATA for other types
		}
		return out
	}
	out.Rcode = dns.RcodeNameError
	out.Ns = []dns.RR{m.soa(rule)}
	return out
}

func (m BlockMode) addresses(q dns.Question) []dns.RR {
	hdr := dns.RR_Header{Name: q.Name, Rrtype: q.Qtype, Class: dns.ClassINET, Ttl: m.ttl}
	var ips []netip.Addr
	if m.kind == "null_ip" {
		ips = []netip.Addr{netip.IPv4Unspecified(), netip.IPv6Unspecified()}
	} else {
		ips = m.ips
	}
	var rrs []dns.RR
	for _, ip := range ips {
		switch {
		case q.Qtype == dns.TypeA && ip.Is4():
			rrs = append(rrs, &dns.A{Hdr: hdr, A: ip.AsSlice()})
		case q.Qtype == dns.TypeAAAA && ip.Is6():
			rrs = append(rrs, &dns.AAAA{Hdr: hdr, AAAA: ip.AsSlice()})
		}
	}
	return rrs
}

// soa is the authority record of a negative block answer. Its owner is the
// blocked rule's domain, so a negative-caching client caches the block for
// that zone, and its TTL and MINIMUM are the block TTL (RFC 2308).
func (m BlockMode) soa(rule blocklist.Rule) dns.RR {
	owner := dns.Fqdn(rule.Domain)
	if rule.Domain == "" {
		owner = "."
	}
	return &dns.SOA{
		Hdr:     dns.RR_Header{Name: owner, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: m.ttl},
		Ns:      "localhost.",
		Mbox:    "blocked.cleandns.invalid.",
		Serial:  1,
		Refresh: 3600,
		Retry:   600,
		Expire:  86400,
		Minttl:  m.ttl,
	}
}

// EDE returns the Extended DNS Error of a block by rule; the text names the
// list, so a user who sees it in dig knows where to look.
func EDE(rule blocklist.Rule, blockedName string) *dns.EDNS0_EDE {
	ede := new(dns.EDNS0_EDE)
	setEDE(ede, rule, blockedName)
	return ede
}

// setEDE fills ede as EDE builds it, with one allocation for the text.
func setEDE(ede *dns.EDNS0_EDE, rule blocklist.Rule, blockedName string) {
	ede.InfoCode = rule.EDE
	if ede.InfoCode == 0 {
		ede.InfoCode = query.EDEBlocked
	}
	if blockedName == "" {
		ede.ExtraText = "blocked by " + rule.List
		return
	}
	ede.ExtraText = "blocked by " + rule.List + " (" + strings.TrimSuffix(blockedName, ".") + ")"
}

// MatcherFunc returns the blocklist that applies to a client group.
type MatcherFunc func(group string) blocklist.Matcher

// BlockLink answers blocked names before anything is cached or forwarded.
type BlockLink struct {
	matcher MatcherFunc
	mode    BlockMode
	// safe returns a group's safe-search table; nil (or a nil table): off.
	safe func(group string) *safesearch.Table
	// paused reports whether blocking is paused for a group, so that a
	// query let through by a pause says so in the query log; nil: never.
	paused func(group string) bool
}

// WithPauses tells the link how to know a group's blocking is paused.
func (b *BlockLink) WithPauses(paused func(group string) bool) *BlockLink {
	b.paused = paused
	return b
}

// WithSafeSearch makes the link answer search engines with their
// safe-search names (a CNAME, resolved like a rewrite's) for the groups
// whose table safe returns, when no rule decided the name.
func (b *BlockLink) WithSafeSearch(safe func(group string) *safesearch.Table) *BlockLink {
	b.safe = safe
	return b
}

// NewBlockLink returns the blocklist link.
func NewBlockLink(matcher MatcherFunc, mode BlockMode) *BlockLink {
	return &BlockLink{matcher: matcher, mode: mode}
}

// Resolve answers with the block answer when the client's group blocks the
// name, and passes the query on otherwise.
func (b *BlockLink) Resolve(ctx context.Context, req *query.Request, next Handler) (*query.Response, error) {
	m := b.matcher(req.Group)
	if m == nil {
		if b.paused != nil && b.paused(req.Group) {
			req.Unfiltered = "paused"
		}
		return next.Resolve(ctx, req)
	}
	d := blocklist.MatchQuery(m, blocklist.Query{Name: req.Name, Type: req.Type, Client: req.Client, Group: req.Group})
	switch {
	case d.Rewrite != nil:
		return b.rewritten(ctx, req, d, next)
	case !d.Blocked && !d.Rule.Allow && b.safe != nil:
		if target, ok := b.safe(req.Group).Target(req.Name); ok {
			return b.rewritten(ctx, req, safeSearchDecision(target), next)
		}
		return next.Resolve(ctx, req)
	case !d.Blocked:
		return next.Resolve(ctx, req)
	}
	return b.Blocked(req, d.Rule, req.Name), nil
}

// Blocked returns the block response to req for rule; name is the name the
// rule matched (the query name, or a CNAME target in the answer).
// The answer comes packed (Response.Wire) when the mode holds no address.
func (b *BlockLink) Blocked(req *query.Request, rule blocklist.Rule, name string) *query.Response {
	text := rule.Text
	if text == "" {
		// The fast matcher does not keep rule text (explain re-reads the
		// list for it); the rule's domain says what matched.
		text = rule.Domain
	}
	resp := req.NewResponse()
	resp.Result, resp.List, resp.Rule, resp.Group = query.Blocked, rule.List, text, req.Group
	if req.Msg != nil && req.Msg.IsEdns0() != nil {
		// Only an answer with an OPT carries the EDE (RFC 8914), and its
		// text costs a blocked query an allocation and a third of the
		// instructions its answer takes.
		resp.EDE = req.NewEDE()
		setEDE(resp.EDE, rule, name)
	}
	if w, ok := b.mode.wire(req, rule); ok {
		resp.Wire = w
	} else {
		resp.Msg = b.mode.Answer(req.Msg, rule)
	}
	return resp
}
