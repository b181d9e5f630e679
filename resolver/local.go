package resolver

import (
	"context"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/query"
)

// LocalLookup finds the admin's own names: the records answering name and
// qtype, and whether name is local at all (true with no records is NODATA).
// localrecords.(*Records) implements it.
type LocalLookup interface {
	Lookup(name string, qtype uint16) ([]dns.RR, bool)
}

// LocalLink answers local names (LAN hosts and their PTRs) without going
// upstream. It sits before the blocklist: the admin's own names win.
type LocalLink struct {
	records LocalLookup
}

var _ Link = (*LocalLink)(nil)

// NewLocalLink returns the link.
func NewLocalLink(records LocalLookup) *LocalLink { return &LocalLink{records: records} }

// Resolve answers local names and passes everything else on.
func (l *LocalLink) Resolve(ctx context.Context, req *query.Request, next Handler) (*query.Response, error) {
	if req.Msg.Question[0].Qclass != dns.ClassINET {
		return next.Resolve(ctx, req)
	}
	rrs, ok := l.records.Lookup(req.Name, req.Type)
	if !ok {
		return next.Resolve(ctx, req)
	}
	m := new(dns.Msg)
	m.SetReply(req.Msg)
	m.Authoritative = true
	m.RecursionAvailable = true
	m.Answer = rrs
	if len(rrs) == 0 {
		// NODATA: the name is ours but has no record of this type. The SOA
		// lets clients cache the negative answer (RFC 2308), as for the
		// special-use names.
		m.Ns = []dns.RR{localSOA(req.Name, specialTTL)}
	}
	return &query.Response{Msg: m, Result: query.Local, Reason: "local-record"}, nil
}
