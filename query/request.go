package query

import (
	"net/netip"
	"time"

	"github.com/miekg/dns"
)

// Request is one query as the pipeline sees it. Links treat it as read-only,
// except Group, which the group link sets before blocking runs, and
// Unfiltered, which the block link sets.
type Request struct {
	Msg      *dns.Msg   // the query as received; never modified
	Client   netip.Addr // source address, IPv4-mapped addresses unmapped
	ClientID string     // the device's own name (DoH path, TLS server name), lowercase; "" if none
	Protocol string     // one of the Proto names
	Name     string     // question name, lowercased and fully qualified
	Type     uint16     // question type
	Group    string     // client group whose rules apply; DefaultGroup until groups exist
	Start    time.Time  // when the edge received the query
	// Lane is the number of the UDP loop that read the query (for a stream
	// listener's query, a number from its client's address), so that state
	// kept per loop, the query log's buffer shard, is taken by one loop only:
	// no lock the loops share on the hot path. Any value is valid.
	Lane int
	// Unfiltered says why the blocklist was not applied to a query it
	// would have been applied to ("paused"): the query log records it as
	// the reason of a forwarded or cached answer.
	Unfiltered string

	// Inline is set when the edge runs the pipeline on a socket's reading
	// goroutine, which must never wait: a link that would (for an upstream)
	// suspends the request instead (Suspend), and the edge resumes it where
	// it stopped on a goroutine of its own, with Inline cleared.
	Inline bool
	// Scratch is a buffer an inline run may pack its answer into
	// (Response.Wire) instead of allocating one: the socket's reader owns
	// it and sends the answer before it reads the next query. Nil otherwise.
	Scratch []byte
	// answer and ede back NewResponse and NewEDE in an inline run: the
	// Request is recycled once the answer is sent, and its answer with it.
	answer Response
	ede    dns.EDNS0_EDE
	// rest and backs are what a suspended inline run left (suspend.go);
	// backs lies in backsArray while it fits, so a miss does not allocate
	// it (the default pipeline keeps two ways back).
	rest       Rest
	backs      []Continuation
	backsArray [4]Continuation
}

// NewResponse returns a zero Response for a link's answer: in an inline run
// the one the Request carries (valid until the answer is sent), else a new one.
func (r *Request) NewResponse() *Response {
	if r.Scratch == nil {
		return new(Response)
	}
	r.answer = Response{}
	return &r.answer
}

// NewEDE is NewResponse for an Extended DNS Error.
func (r *Request) NewEDE() *dns.EDNS0_EDE {
	if r.Scratch == nil {
		return new(dns.EDNS0_EDE)
	}
	r.ede = dns.EDNS0_EDE{}
	return &r.ede
}

// Buffer returns an empty buffer with room for n bytes: Scratch when it is
// big enough, else a new one.
func (r *Request) Buffer(n int) []byte {
	if cap(r.Scratch) >= n {
		return r.Scratch[:0]
	}
	return make([]byte, 0, n)
}

// DO reports whether the query asked for DNSSEC records.
func (r *Request) DO() bool {
	if o := r.Msg.IsEdns0(); o != nil {
		return o.Do()
	}
	return false
}

// EDNS reports whether the query carried an OPT record.
func (r *Request) EDNS() bool { return r.Msg.IsEdns0() != nil }
