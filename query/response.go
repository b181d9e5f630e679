package query

import (
	"iter"

	"github.com/miekg/dns"
)

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

// CNAMETargets yields the answer's CNAME targets, in either form: the
// packed answer's Targets, or the message's CNAME records. The response
// filter reads them; it need not know which form it got.
func (r *Response) CNAMETargets() iter.Seq[string] {
	return func(yield func(string) bool) {
		if r.Msg == nil {
			for _, t := range r.Targets {
				if !yield(t) {
					return
				}
			}
			return
		}
		for _, rr := range r.Msg.Answer {
			if c, ok := rr.(*dns.CNAME); ok && !yield(c.Target) {
				return
			}
		}
	}
}

// Truncated reports whether the answer has the TC bit set.
func (r *Response) Truncated() bool {
	switch {
	case r.Msg != nil:
		return r.Msg.Truncated
	case len(r.Wire) >= 3:
		return r.Wire[2]&0x02 != 0
	}
	return false
}

// Packed returns the answer packed, when it came so (a cache hit), and
// whether it did. The bytes may lie in the edge's buffer: they are the
// edge's to send, valid until it has.
func (r *Response) Packed() ([]byte, bool) { return r.Wire, r.Msg == nil && r.Wire != nil }

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
