package querylog

import (
	"net/netip"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/query"
)

// Record is one finished query as stored and searched.
type Record struct {
	Time   time.Time `json:"time"`
	Client string    `json:"client"` // "" when querylog.client is none
	// ClientID is the name the device gave itself (DoH path, TLS server
	// name), "" when it gave none or querylog.client is none: an ID names
	// a device as surely as its address.
	ClientID string        `json:"client_id,omitempty"`
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
	clientID string
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
		start: req.Start, client: req.Client, clientID: req.ClientID, protocol: req.Protocol, name: req.Name, qtype: req.Type,
		result: resp.Result, group: group, list: resp.List, rule: resp.Rule, upstream: resp.Upstream,
		reason: reasonOf(req, resp), rcode: rcode, d: d,
	}
}

// record is e as stored, its client already rendered (see privacy) and
// its client ID as querylog.client allows (see storedID).
func (e *entry) record(client, clientID string) Record {
	typ := ""
	if e.qtype != 0 || e.name != "" {
		typ = dns.Type(e.qtype).String()
	}
	return Record{
		Time: e.start, Client: client, ClientID: clientID, Protocol: e.protocol, Name: e.name, Type: typ,
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

// storedID is a client ID as querylog.client says: kept, except under
// none, which keeps nothing that tells one device from another. Under
// anonymize the ID stays: the owner chose it to tell devices apart, and an
// address reduced to its network no longer does.
func storedID(id, mode string) string {
	if mode == ClientNone {
		return ""
	}
	return id
}

// clientKey is how the top clients count a client: by its ID when it gave
// one ("id:annas-phone", as groups name it), else by its address as stored.
// A phone roaming between networks is then one client, and a bare address
// is the queries of devices that did not name themselves.
func clientKey(addr, id string) string {
	if id != "" {
		return IDPrefix + id
	}
	return addr
}

// IDPrefix marks a client ID among addresses, in top clients' keys as in
// groups' clients.
const IDPrefix = "id:"

// reasonOf is the record's reason: the answer's, else why blocking did not
// apply (a query answered while blocking was paused says "paused").
func reasonOf(req *query.Request, resp *query.Response) string {
	if resp.Reason == "" {
		return req.Unfiltered
	}
	return resp.Reason
}
