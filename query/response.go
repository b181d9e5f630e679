package query

import "github.com/miekg/dns"

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
