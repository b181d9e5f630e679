package resolver

import (
	"context"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/dnssec"
	"github.com/cleandns/cleandns/query"
)

// Validator judges an upstream reply; dnssec.Validator provides it.
type Validator interface {
	Validate(ctx context.Context, reply *dns.Msg) dnssec.Verdict
}

// ValidateLink makes cleandns a validating forwarder. It sits next to the
// forwarder, below the cache and dedup, so it runs only on cache misses:
// it asks upstream with DO and CD (so that a validating upstream hands over
// even what it would reject, for us to judge), sets AD on secure answers,
// turns bogus ones into SERVFAIL with the Extended DNS Error that says why,
// and strips the DNSSEC records a client without DO did not ask for. The
// cache then stores the judged answer, AD bit included: a hit costs no more
// than without validation. A client's CD skips the judgment (RFC 4035
// §3.2.2): it gets the upstream's answer as it came, without AD.
type ValidateLink struct {
	v       Validator
	observe func(dnssec.State) // counts validated answers by state; may be nil
}

var _ Link = (*ValidateLink)(nil)

// NewValidateLink returns the link; observe, if not nil, is called once per
// validated answer.
func NewValidateLink(v Validator, observe func(dnssec.State)) *ValidateLink {
	return &ValidateLink{v: v, observe: observe}
}

// Resolve implements Link.
func (l *ValidateLink) Resolve(ctx context.Context, req *query.Request, next Handler) (*query.Response, error) {
	if req.Msg.CheckingDisabled {
		// Unjudged: an AD from an upstream asked with CD vouches for nothing.
		resp, err := next.Resolve(ctx, req)
		if err == nil && resp.Msg != nil && resp.Result == query.Forwarded {
			resp.Msg.AuthenticatedData = false
		}
		return resp, err
	}
	up := *req
	up.Msg = withDOCD(req.Msg)
	resp, err := next.Resolve(ctx, &up)
	if err != nil || resp.Result != query.Forwarded || resp.Msg == nil {
		return resp, err
	}
	verdict := l.v.Validate(ctx, resp.Msg)
	if l.observe != nil {
		l.observe(verdict.State)
	}
	if verdict.State == dnssec.Bogus {
		m := new(dns.Msg).SetRcode(req.Msg, dns.RcodeServerFailure)
		return &query.Response{
			Msg: m, Result: query.Servfail, Upstream: resp.Upstream,
			Reason: "dnssec bogus: " + verdict.Reason,
			EDE:    &dns.EDNS0_EDE{InfoCode: verdict.EDE, ExtraText: verdict.Reason},
		}, nil
	}
	resp.Msg.AuthenticatedData = verdict.State == dnssec.Secure
	resp.Msg.CheckingDisabled = false
	if verdict.EDE != dnssec.NoEDE {
		resp.EDE = &dns.EDNS0_EDE{InfoCode: verdict.EDE, ExtraText: verdict.Reason}
	}
	if !req.DO() {
		stripDNSSEC(resp.Msg, req.Type)
	}
	return resp, nil
}

// withDOCD returns a copy of q with the DO and CD bits set.
func withDOCD(q *dns.Msg) *dns.Msg {
	m := q.Copy()
	m.CheckingDisabled = true
	if o := m.IsEdns0(); o != nil {
		o.SetDo()
	} else {
		m.SetEdns0(1232, true)
	}
	return m
}

// stripDNSSEC removes the records a client without DO gets only when it
// asks for them by type (RFC 4035 §3.2.1).
func stripDNSSEC(m *dns.Msg, qtype uint16) {
	keep := func(rrs []dns.RR, section int) []dns.RR {
		out := rrs[:0]
		for _, rr := range rrs {
			switch t := rr.Header().Rrtype; t {
			case dns.TypeRRSIG, dns.TypeNSEC, dns.TypeNSEC3:
				if section != 0 || t != qtype {
					continue
				}
			}
			out = append(out, rr)
		}
		return out
	}
	m.Answer = keep(m.Answer, 0)
	m.Ns = keep(m.Ns, 1)
	m.Extra = keep(m.Extra, 2)
}
