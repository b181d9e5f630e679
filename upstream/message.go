package upstream

import (
	"crypto/rand"
	"encoding/binary"
	"strings"

	"github.com/miekg/dns"
)

// ednsBufSize is the UDP payload size advertised upstream: the DNS Flag Day
// 2020 value, small enough to avoid IP fragmentation on any path.
const ednsBufSize = 1232

// newQuery builds the message sent upstream from a client query. It is built
// afresh rather than copied so that nothing the client sent beyond the
// question and the RD, CD and AD flags and the DO bit reaches the upstream:
// no EDNS options, so no Client Subnet or cookies that identify the client.
func newQuery(q *dns.Msg) *dns.Msg {
	u := new(upQuery)
	m := &u.msg
	u.question[0] = q.Question[0]
	m.Question = u.question[:]
	m.Opcode = dns.OpcodeQuery
	m.RecursionDesired = q.RecursionDesired
	m.CheckingDisabled = q.CheckingDisabled
	// AD in a query asks the upstream to report whether it validated (RFC 6840).
	m.AuthenticatedData = q.AuthenticatedData
	// The OPT miekg's SetEdns0 would add, without its allocations.
	u.opt.Hdr = dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}
	u.opt.SetUDPSize(ednsBufSize)
	if o := q.IsEdns0(); o != nil && o.Do() {
		u.opt.SetDo()
	}
	u.extra[0] = &u.opt
	m.Extra = u.extra[:]
	return m
}

// upQuery is the message newQuery builds with its question and OPT in one
// allocation instead of four: it is built for every miss.
type upQuery struct {
	msg      dns.Msg
	question [1]dns.Question
	opt      dns.OPT
	extra    [1]dns.RR
}

// randomID returns a crypto-random message ID (RFC 5452 section 9.2).
func randomID() uint16 {
	var b [2]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand documents so since Go 1.24)
	return binary.BigEndian.Uint16(b[:])
}

// matches reports whether reply answers query: the same ID, a response, and
// the same question, the name compared case-insensitively since an upstream
// may echo it in another case.
func matches(query, reply *dns.Msg) bool { return answers(query.Id, query, reply) }

// answers is matches for a query sent with the ID id, whatever query.Id says.
func answers(id uint16, query, reply *dns.Msg) bool {
	if reply.Id != id || !reply.Response || len(reply.Question) != 1 {
		return false
	}
	q, r := query.Question[0], reply.Question[0]
	return q.Qtype == r.Qtype && q.Qclass == r.Qclass && strings.EqualFold(q.Name, r.Name)
}
