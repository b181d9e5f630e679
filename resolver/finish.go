package resolver

import (
	"encoding/binary"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/query"
)

// finish turns a pipeline answer into the message the client receives. The
// answer is owned by this request (links hand out copies), so it is edited
// in place.
func (e *Edge) finish(r *dns.Msg, resp *query.Response, protocol string) *dns.Msg {
	out := resp.Msg
	out.Id = r.Id
	out.Response = true
	out.Opcode = r.Opcode
	out.RecursionDesired = r.RecursionDesired
	out.RecursionAvailable = true
	out.CheckingDisabled = r.CheckingDisabled
	out.Question = r.Question // the client's case, as it asked
	if !keepAD(r, resp) {
		out.AuthenticatedData = false
	}
	setOPT(out, r, resp, e.maxUDP)
	out.Compress = true
	if protocol == query.ProtoUDP {
		out.Truncate(udpSize(r, e.maxUDP))
	}
	return out
}

// finishWire is finish for an answer that came packed (Response.Wire): it
// sets the header bits finish sets and appends the OPT setOPT would build,
// Extended DNS Error included, in place. It reports false when only finish
// can produce the answer: a question spelled with escapes (the packed answer
// kept its own spelling), or an answer too big for the client's UDP buffer.
func (e *Edge) finishWire(r *dns.Msg, resp *query.Response, protocol string) ([]byte, bool) {
	w := resp.Wire
	if len(w) < 12 || strings.IndexByte(r.Question[0].Name, '\\') >= 0 {
		return nil, false
	}
	q := r.IsEdns0()
	size, rdlen := len(w), 0
	if q != nil {
		if resp.EDE != nil {
			rdlen = 6 + len(resp.EDE.ExtraText) // option code, length, info code, text
		}
		size += optLen + rdlen
	}
	if protocol == query.ProtoUDP && size > udpSize(r, e.maxUDP) {
		return nil, false
	}
	binary.BigEndian.PutUint16(w, r.Id)
	// QR, the client's opcode and RD; AA and TC as they were.
	w[2] = 0x80 | byte(r.Opcode&0xF)<<3 | w[2]&0x06 | bit(r.RecursionDesired, 0x01)
	// RA, the client's CD; Z and rcode as they were; AD only on upstream answers.
	ad := w[3] & 0x20
	if !keepAD(r, resp) {
		ad = 0
	}
	w[3] = 0x80 | w[3]&0x4F | ad | bit(r.CheckingDisabled, 0x10)
	if q == nil {
		return w, true
	}
	ar := binary.BigEndian.Uint16(w[10:])
	binary.BigEndian.PutUint16(w[10:], ar+1)
	// Root name, type OPT, our UDP size as class, extended rcode 0, version
	// 0, the client's DO bit, then the EDE option if any: what setOPT builds.
	w = append(w, 0, 0, byte(dns.TypeOPT), byte(e.maxUDP>>8), byte(e.maxUDP), 0, 0, bit(q.Do(), 0x80), 0, byte(rdlen>>8), byte(rdlen))
	if ede := resp.EDE; ede != nil {
		n := 2 + len(ede.ExtraText)
		w = append(w, 0, dns.EDNS0EDE, byte(n>>8), byte(n), byte(ede.InfoCode>>8), byte(ede.InfoCode))
		w = append(w, ede.ExtraText...)
	}
	resp.Wire = w
	return w, true
}

// keepAD reports whether an answer may keep the AD bit: only one from
// upstream (we validate nothing ourselves, RFC 4035 3.2.3), and only for a
// client that asked with AD or DO (RFC 6840 5.7-5.8), since a cached answer
// may come from a query that did.
func keepAD(r *dns.Msg, resp *query.Response) bool {
	if resp.Result != query.Forwarded && resp.Result != query.Cached {
		return false
	}
	o := r.IsEdns0()
	return r.AuthenticatedData || (o != nil && o.Do())
}

func bit(b bool, v byte) byte {
	if b {
		return v
	}
	return 0
}

// setOPT replaces whatever OPT the answer had with ours, and only when the
// query had one (RFC 6891 6.1.1): our buffer size, the client's DO bit and
// the Extended DNS Error, if any.
func setOPT(out, r *dns.Msg, resp *query.Response, maxUDP int) {
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

// observe records the query in the metrics and hands it to the recorder (the
// query log), if any. Labels are bounded: protocol, a fixed qtype set,
// result, group and list names from the config. The series are resolved
// once (edgemetrics.go); proto is the protocol's index.
func (e *Edge) observe(req *query.Request, resp *query.Response, proto int, start time.Time) {
	d := e.now().Sub(start)
	e.metrics.query(proto, req.Protocol, req.Type, resp.Result)
	e.metrics.duration(resp.Result, d.Seconds())
	if rb := e.recorder.Load(); rb != nil {
		rcode := -1 // nothing sent
		if resp.Sends() {
			rcode = resp.Rcode()
		}
		rb.r.Record(req, resp, rcode, d)
	}
	if resp.Result == query.Blocked {
		group := query.DefaultGroup
		if resp.Group != "" {
			group = resp.Group
		}
		e.metrics.blockedQuery(group, resp.List)
	}
}
