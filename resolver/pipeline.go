// Package resolver holds the request pipeline: the edge that adapts a
// dns.Handler to it, and the links that each decide, in a fixed order,
// whether to answer a query or pass it on.
//
// The contract, written once: a Link receives the request and the rest of the
// chain as next. It either answers, returning a Response that says where the
// answer came from (its provenance), or calls next and may inspect or replace
// what next returned. Links never write to the client; only the Edge does.
// An error means "I could not answer"; the edge turns it into SERVFAIL.
package resolver

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/miekg/dns"
)

// Request is one query as the pipeline sees it. Links treat it as read-only,
// except Group, which the group link sets before blocking runs.
type Request struct {
	Msg      *dns.Msg   // the query as received; never modified
	Client   netip.Addr // source address, IPv4-mapped addresses unmapped
	Protocol string     // "udp", "tcp", later "dot" and "doh"
	Name     string     // question name, lowercased and fully qualified
	Type     uint16     // question type
	Group    string     // client group whose rules apply; DefaultGroup until groups exist
	Start    time.Time  // when the edge received the query

	// Inline is set when the edge runs the pipeline on a socket's reading
	// goroutine, which must never wait: a link that would (for an upstream)
	// returns ErrWouldBlock instead, and the edge runs the query again on a
	// goroutine of its own with Resumed set.
	Inline bool
	// Resumed marks that second run: links with side effects already had
	// them on the first (the rate limiter took its token, the cache counted).
	Resumed bool
	// Scratch is a buffer an inline run may pack its answer into
	// (Response.Wire) instead of allocating one: the socket's reader owns
	// it and sends the answer before it reads the next query. Nil otherwise.
	Scratch []byte
	// answer and ede back response() in an inline run: the Request is
	// recycled once the answer is sent, and its answer with it.
	answer Response
	ede    dns.EDNS0_EDE
}

// response returns a zero Response for a link's answer: in an inline run
// the one the Request carries, else a new one.
func (r *Request) response() *Response {
	if r.Scratch == nil {
		return new(Response)
	}
	r.answer = Response{}
	return &r.answer
}

// newEDE is response for an Extended DNS Error.
func (r *Request) newEDE() *dns.EDNS0_EDE {
	if r.Scratch == nil {
		return new(dns.EDNS0_EDE)
	}
	r.ede = dns.EDNS0_EDE{}
	return &r.ede
}

// scratch returns an empty buffer with room for n bytes: Scratch when it
// is big enough, else a new one.
func (r *Request) scratch(n int) []byte {
	if cap(r.Scratch) >= n {
		return r.Scratch[:0]
	}
	return make([]byte, 0, n)
}

// ErrWouldBlock is returned by a link asked to wait during an inline run.
var ErrWouldBlock = errors.New("would block: resume on another goroutine")

// DefaultGroup is the implicit group of clients no configured group matches.
const DefaultGroup = "default"

// DO reports whether the query asked for DNSSEC records.
func (r *Request) DO() bool {
	if o := r.Msg.IsEdns0(); o != nil {
		return o.Do()
	}
	return false
}

// EDNS reports whether the query carried an OPT record.
func (r *Request) EDNS() bool { return r.Msg.IsEdns0() != nil }

// Response is an answer plus its provenance. Metrics, the query log and
// Extended DNS Errors all read the provenance; nothing re-derives it.
type Response struct {
	// Msg is the answer. It is nil when nothing is sent (Dropped, or a
	// RateLimited drop), and may be nil when Wire holds the answer.
	Msg    *dns.Msg
	Result Result

	// Wire, when set, is the answer already packed for this client: its ID,
	// question spelling and TTLs are final, and it holds no OPT record (the
	// edge adds its own). Cache hits set it, so the edge writes them as they
	// are instead of unpacking and packing again; a link that needs the
	// message calls Message.
	Wire []byte
	// Targets are the answer's CNAME targets, lowercased, when Msg is nil and
	// Wire is set: the response filter checks them without unpacking.
	Targets []string

	List     string // blocked, allowed or filtered: the list whose rule matched
	Rule     string // the rule as written in that list
	Upstream string // forwarded: the upstream that answered
	Reason   string // refused, local, servfail or dropped: short machine-readable why
	Group    string // the client group whose rules decided, for the blocked_queries series

	// EDE is attached to the answer when the query carried EDNS (RFC 8914).
	EDE *dns.EDNS0_EDE
}

// Message returns the answer as a message, unpacking Wire (once) when the
// answer came packed. It is nil when nothing is sent.
func (r *Response) Message() (*dns.Msg, error) {
	if r.Msg == nil && r.Wire != nil {
		m := new(dns.Msg)
		if err := m.Unpack(r.Wire); err != nil {
			return nil, err
		}
		r.Msg, r.Wire = m, nil
	}
	return r.Msg, nil
}

// Sends reports whether there is an answer to send.
func (r *Response) Sends() bool { return r.Msg != nil || r.Wire != nil }

// Rcode returns the answer's response code (the header's four bits when it
// came packed), or -1 when nothing is sent.
func (r *Response) Rcode() int {
	switch {
	case r.Msg != nil:
		return r.Msg.Rcode
	case len(r.Wire) >= 4:
		return int(r.Wire[3] & 0xF)
	}
	return -1
}

// Result says how a query ended. Its String is the metrics result label.
type Result uint8

// The results, one per value of the result label.
const (
	Forwarded Result = iota
	Cached
	Blocked
	Local
	Refused
	RateLimited
	Servfail
	Dropped
)

var resultNames = [...]string{"forwarded", "cached", "blocked", "local", "refused", "ratelimited", "servfail", "dropped"}

func (r Result) String() string {
	if int(r) < len(resultNames) {
		return resultNames[r]
	}
	return "unknown"
}

// Handler resolves a request. The forwarder at the end of the chain is a
// Handler; so is a chain of links.
type Handler interface {
	Resolve(ctx context.Context, req *Request) (*Response, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, req *Request) (*Response, error)

// Resolve calls f.
func (f HandlerFunc) Resolve(ctx context.Context, req *Request) (*Response, error) {
	return f(ctx, req)
}

// Link is one step of the pipeline. It receives the rest of the chain as
// next, so it cannot be wired out of order by accident.
type Link interface {
	Resolve(ctx context.Context, req *Request, next Handler) (*Response, error)
}

// Chain returns a Handler that runs links in order and ends with final.
func Chain(final Handler, links ...Link) Handler {
	h := final
	for i := len(links) - 1; i >= 0; i-- {
		h = &chained{link: links[i], next: h}
	}
	return h
}

type chained struct {
	link Link
	next Handler
}

func (c *chained) Resolve(ctx context.Context, req *Request) (*Response, error) {
	return c.link.Resolve(ctx, req, c.next)
}
