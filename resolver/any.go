package resolver

import (
	"context"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/query"
)

// anyTTL is the TTL of the RFC 8482 answer: short, as the RFC suggests, so
// a client that insists can soon ask again over TCP.
const anyTTL = 60

// AnyLink answers qtype ANY over UDP with the minimal RFC 8482 answer (one
// HINFO "RFC8482" ""). ANY is the classic amplification query, and a full
// answer over UDP serves attackers rather than clients; over TCP, where the
// source is verified, ANY is passed on and forwarded.
type AnyLink struct{}

var _ Link = AnyLink{}

// Resolve answers ANY over UDP and passes everything else on.
func (AnyLink) Resolve(ctx context.Context, req *query.Request, next Handler) (*query.Response, error) {
	if req.Type != dns.TypeANY || req.Protocol != query.ProtoUDP {
		return next.Resolve(ctx, req)
	}
	m := new(dns.Msg)
	m.SetReply(req.Msg)
	m.Answer = []dns.RR{&dns.HINFO{
		Hdr: dns.RR_Header{Name: req.Msg.Question[0].Name, Rrtype: dns.TypeHINFO, Class: dns.ClassINET, Ttl: anyTTL},
		Cpu: "RFC8482",
		Os:  "",
	}}
	return &query.Response{Msg: m, Result: query.Local, Reason: "any"}, nil
}
