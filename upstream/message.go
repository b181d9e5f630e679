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
	m := &dns.Msg{Question: []dns.Question{q.Question[0]}}
	m.Opcode = dns.OpcodeQuery
	m.RecursionDesired = q.RecursionDesired
	m.CheckingDisabled = q.CheckingDisabled
	// AD in a query asks the upstream to report whether it validated (RFC 6840).
	m.AuthenticatedData = q.AuthenticatedData
	do := false
	if o := q.IsEdns0(); o != nil {
		do = o.Do()
	}
	m.SetEdns0(ednsBufSize, do)
	return m
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
func matches(query, reply *dns.Msg) bool {
	if reply.Id != query.Id || !reply.Response || len(reply.Question) != 1 {
		return false
	}
	q, r := query.Question[0], reply.Question[0]
	return q.Qtype == r.Qtype && q.Qclass == r.Qclass && strings.EqualFold(q.Name, r.Name)
}
