package api

import (
	"net/netip"
	"strings"

	"github.com/cleandns/cleandns/querylog"
)

// TopEntry is one of GET /top's: a key and its count; for kind=clients
// also the group the client is in now and why.
type TopEntry struct {
	Key          string `json:"key"`
	Count        int64  `json:"count"`
	*ClientGroup        // nil for other kinds and a client hidden by querylog.client
}

// LogRecord is one record of GET /querylog, with what chose its group
// when the groups say so today.
type LogRecord struct {
	querylog.Record
	GroupBy     string `json:"group_by,omitempty"`
	GroupReason string `json:"group_reason,omitempty"`
}

// clientOf reads a top clients' key: "id:NAME" or an address.
func clientOf(key string) (netip.Addr, string, bool) {
	if id, ok := strings.CutPrefix(key, querylog.IDPrefix); ok {
		return netip.Addr{}, id, true
	}
	a, err := netip.ParseAddr(key)
	return a.Unmap(), "", err == nil
}

func (a *API) clientGroups(top []querylog.Count) []TopEntry {
	out := make([]TopEntry, len(top))
	for i, c := range top {
		out[i].Key, out[i].Count = c.Key, c.Count
		if addr, id, ok := clientOf(c.Key); ok {
			g := a.d.Groups.ClientGroup(addr, id)
			out[i].ClientGroup = &g
		}
	}
	return out
}

// withGroupReasons adds to each record what puts its client in its group
// now. A record whose group the client's address and ID no longer give is
// left without a reason (the groups changed since), unless the client is
// a trusted forwarder: then a MAC or ECS option chose it, which the log
// does not keep.
func (a *API) withGroupReasons(recs []querylog.Record) []LogRecord {
	out := make([]LogRecord, len(recs))
	for i, r := range recs {
		out[i].Record = r
		if a.d.Groups == nil || (r.Client == "" && r.ClientID == "") {
			continue
		}
		addr, _ := netip.ParseAddr(r.Client)
		g := a.d.Groups.ClientGroup(addr.Unmap(), r.ClientID)
		switch {
		case g.Group == r.Group:
			out[i].GroupBy, out[i].GroupReason = g.By, g.Reason
		case g.Forwarder:
			out[i].GroupBy = "forwarder"
			out[i].GroupReason = "the MAC or ECS address the trusted forwarder " + r.Client + " sent with the query"
		}
	}
	return out
}
