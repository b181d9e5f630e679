package resolver

import (
	"context"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/policy"
	"github.com/cleandns/cleandns/query"
)

// AccessLink answers only the client networks the access policy allows;
// others are refused with Extended DNS Error 18 "Prohibited", or dropped.
// It runs first, so a client we do not serve costs nothing more.
type AccessLink struct {
	access *policy.Access
}

var _ Link = (*AccessLink)(nil)

// NewAccessLink returns the access-control link for a.
func NewAccessLink(a *policy.Access) *AccessLink { return &AccessLink{access: a} }

// Resolve passes allowed clients on and refuses or drops the rest.
func (l *AccessLink) Resolve(ctx context.Context, req *query.Request, next Handler) (*query.Response, error) {
	if l.access.Allowed(req.Client, req.ClientID) {
		return next.Resolve(ctx, req)
	}
	if l.access.Drop() {
		return &query.Response{Result: query.Dropped, Reason: "access"}, nil
	}
	m := new(dns.Msg)
	m.SetRcode(req.Msg, dns.RcodeRefused)
	return &query.Response{
		Msg:    m,
		Result: query.Refused,
		Reason: "access",
		EDE:    &dns.EDNS0_EDE{InfoCode: query.EDEProhibited, ExtraText: "Prohibited"},
	}, nil
}
