package resolver

import (
	"time"

	"github.com/miekg/dns"
)

// finish turns a pipeline answer into the message the client receives. The
// answer is owned by this request (links hand out copies), so it is edited
// in place.
func (e *Edge) finish(r *dns.Msg, resp *Response, protocol string) *dns.Msg {
	out := resp.Msg
	out.Id = r.Id
	out.Response = true
	out.Opcode = r.Opcode
	out.RecursionDesired = r.RecursionDesired
	out.RecursionAvailable = true
	out.CheckingDisabled = r.CheckingDisabled
	out.Question = r.Question // the client's case, as it asked
	if resp.Result != Forwarded && resp.Result != Cached {
		// We made this answer ourselves; we validated nothing (RFC 4035 3.2.3).
		out.AuthenticatedData = false
	}
	setOPT(out, r, resp, e.maxUDP)
	out.Compress = true
	if protocol == "udp" {
		out.Truncate(udpSize(r, e.maxUDP))
	}
	return out
}

// setOPT replaces whatever OPT the answer had with ours, and only when the
// query had one (RFC 6891 6.1.1): our buffer size, the client's DO bit and
// the Extended DNS Error, if any.
func setOPT(out, r *dns.Msg, resp *Response, maxUDP int) {
	extra := out.Extra[:0]
	for _, rr := range out.Extra {
		if rr.Header().Rrtype != dns.TypeOPT {
			extra = append(extra, rr)
		}
	}
	out.Extra = extra
	q := r.IsEdns0()
	if q == nil {
		if out.Rcode > 0xF {
			// An extended rcode cannot be sent without OPT.
			out.Rcode = dns.RcodeServerFailure
		}
		return
	}
	o := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}}
	o.SetUDPSize(uint16(maxUDP))
	if q.Do() {
		o.SetDo()
	}
	if resp.EDE != nil {
		o.Option = append(o.Option, resp.EDE)
	}
	out.Extra = append(out.Extra, o)
}

// udpSize is the most a UDP answer to r may hold: 512 without EDNS,
// otherwise the client's advertised size, at least 512 and at most maxUDP.
func udpSize(r *dns.Msg, maxUDP int) int {
	o := r.IsEdns0()
	if o == nil {
		return dns.MinMsgSize
	}
	size := int(o.UDPSize())
	if size < dns.MinMsgSize {
		size = dns.MinMsgSize
	}
	if size > maxUDP {
		size = maxUDP
	}
	return size
}

// observe records the query in the metrics. Labels are bounded: protocol,
// a fixed qtype set, result, group and list names from the config.
// The series are resolved once (edgemetrics.go); proto is protocol's index.
func (e *Edge) observe(r *dns.Msg, resp *Response, protocol string, proto int, start time.Time) {
	qtype := uint16(0)
	if len(r.Question) > 0 {
		qtype = r.Question[0].Qtype
	}
	e.metrics.query(proto, protocol, qtype, resp.Result)
	e.metrics.duration(resp.Result, e.now().Sub(start).Seconds())
	if resp.Result == Blocked {
		group := DefaultGroup
		if resp.Group != "" {
			group = resp.Group
		}
		e.metrics.blockedQuery(group, resp.List)
	}
}
