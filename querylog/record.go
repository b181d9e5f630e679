package querylog

import (
	"net/netip"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/query"
)

// Record is one finished query as stored and searched.
type Record struct {
	Time     time.Time     `json:"time"`
	Client   string        `json:"client"` // "" when querylog.client is none
	Protocol string        `json:"protocol"`
	Name     string        `json:"name"`
	Type     string        `json:"type"`
	Result   string        `json:"result"`
	Group    string        `json:"group,omitempty"`
	List     string        `json:"list,omitempty"`
	Rule     string        `json:"rule,omitempty"`
	Upstream string        `json:"upstream,omitempty"`
	Reason   string        `json:"reason,omitempty"`
	Rcode    int           `json:"rcode"` // -1: no answer was sent
	Duration time.Duration `json:"duration_ns"`
	Instance string        `json:"instance,omitempty"` // which instance answered (the PostgreSQL log; "" otherwise)
}

// entry is what the hot path copies into the buffer: raw fields only, no
// formatting and no allocation. The writer turns it into a Record.
type entry struct {
	start    time.Time
	client   netip.Addr
	protocol string
	name     string
	qtype    uint16
	result   query.Result
	group    string
	list     string
	rule     string
	upstream string
	reason   string
	rcode    int
	d        time.Duration
}

func newEntry(req *query.Request, resp *query.Response, rcode int, d time.Duration) entry {
	group := resp.Group
	if group == "" {
		group = req.Group
	}
	return entry{
		start: req.Start, client: req.Client, protocol: req.Protocol, name: req.Name, qtype: req.Type,
		result: resp.Result, group: group, list: resp.List, rule: resp.Rule, upstream: resp.Upstream,
		reason: reasonOf(req, resp), rcode: rcode, d: d,
	}
}

// record is e as stored, its client already rendered (see privacy).
func (e *entry) record(client string) Record {
	typ := ""
	if e.qtype != 0 || e.name != "" {
		typ = dns.Type(e.qtype).String()
	}
	return Record{
		Time: e.start, Client: client, Protocol: e.protocol, Name: e.name, Type: typ,
		Result: e.result.String(), Group: e.group, List: e.list, Rule: e.rule, Upstream: e.upstream,
		Reason: e.reason, Rcode: e.rcode, Duration: e.d,
	}
}

// privacy renders a client address as querylog.client says: whole, reduced
// to its /24 or /48 network address, or not at all.
func privacy(a netip.Addr, mode string) string {
	if !a.IsValid() {
		return ""
	}
	switch mode {
	case ClientNone:
		return ""
	case ClientAnonymize:
		bits := 24
		if a.Is6() {
			bits = 48
		}
		p, _ := a.Prefix(bits)
		return p.Addr().String()
	}
	return a.String()
}

// reasonOf is the record's reason: the answer's, else why blocking did not
// apply (a query answered while blocking was paused says "paused").
func reasonOf(req *query.Request, resp *query.Response) string {
	if resp.Reason == "" {
		return req.Unfiltered
	}
	return resp.Reason
}
