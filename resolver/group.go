package resolver

import (
	"context"
	"net/netip"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/query"
)

// GroupFunc names the client group of a query from its source address, the
// client ID the device gave ("" for none) and the query itself (where a
// trusted forwarder may have named the client).
type GroupFunc func(client netip.Addr, clientID string, msg *dns.Msg) string

// GroupLink sets Request.Group for the links after it. It answers nothing.
type GroupLink struct {
	group GroupFunc
}

var _ Link = (*GroupLink)(nil)

// NewGroupLink returns the link; group is groups.(*Groups).Select.
func NewGroupLink(group GroupFunc) *GroupLink { return &GroupLink{group: group} }

// Resolve sets the group and passes the query on.
func (l *GroupLink) Resolve(ctx context.Context, req *query.Request, next Handler) (*query.Response, error) {
	req.Group = l.group(req.Client, req.ClientID, req.Msg)
	return next.Resolve(ctx, req)
}
