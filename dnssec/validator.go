package dnssec

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/miekg/dns"
)

// Exchange sends one query upstream and returns the reply. The validator
// sets DO and CD on its own queries itself.
type Exchange func(ctx context.Context, q *dns.Msg) (*dns.Msg, error)

// Deps are what a Validator uses but does not own.
type Deps struct {
	Exchange Exchange
	Anchors  Anchors          // the trust anchors; RootAnchors() for the public DNS
	Negative *NegativeAnchors // may be nil: no negative trust anchors
	Now      func() time.Time // nil: time.Now
}

// Validator judges upstream replies. It is safe for concurrent use.
type Validator struct {
	exchange Exchange
	anchors  Anchors
	negative *NegativeAnchors
	now      func() time.Time

	keyCache  *ttlCache[*zoneKeys]
	cutCache  *ttlCache[*cut]
	keyFlight flight[*zoneKeys]
	cutFlight flight[*cut]
}

// Cache bounds: one entry per zone (keys) or per name whose zone had to be
// found (cuts); both are far below these in practice.
const (
	maxKeyEntries = 10000
	maxCutEntries = 50000
	// bogusTTL caps how long a failed key set is remembered (RFC 4035
	// §4.7's "bad cache"), so a repaired zone validates again soon.
	bogusTTL = time.Minute
	// maxKeyTTL caps any key set's lifetime, so a changed DS or DNSKEY set
	// is picked up within the hour whatever its TTL.
	maxKeyTTL = time.Hour
	// maxChainDepth bounds the chain of trust (and a reply's CNAME chain):
	// a longer one is a loop or an attack.
	maxChainDepth = 32
	// maxQueries bounds the DS and DNSKEY queries one validation may send,
	// so that a reply naming many signers and zones cannot make us walk
	// them all: a real chain needs two per zone, a handful of zones deep.
	maxQueries = 32
)

// New returns a Validator.
func New(d Deps) (*Validator, error) {
	if d.Exchange == nil {
		return nil, errors.New("dnssec: no exchange function")
	}
	if len(d.Anchors) == 0 {
		return nil, errors.New("dnssec: no trust anchors")
	}
	v := &Validator{
		exchange: d.Exchange,
		anchors:  d.Anchors,
		negative: d.Negative,
		now:      d.Now,
		keyCache: newTTLCache[*zoneKeys](maxKeyEntries),
		cutCache: newTTLCache[*cut](maxCutEntries),
	}
	if v.now == nil {
		v.now = time.Now
	}
	return v, nil
}

// Flush forgets every key set and zone cut, as after a trust anchor change.
func (v *Validator) Flush() {
	v.keyCache.flush()
	v.cutCache.flush()
}

// Validate judges reply, the upstream's answer to a query sent with DO and
// CD set. It never modifies reply.
func (v *Validator) Validate(ctx context.Context, reply *dns.Msg) Verdict {
	if len(reply.Question) != 1 {
		return Verdict{State: Indeterminate, EDE: NoEDE, Reason: "no single question"}
	}
	q := reply.Question[0]
	qname := dns.CanonicalName(q.Name)
	if reply.Rcode != dns.RcodeSuccess && reply.Rcode != dns.RcodeNameError {
		return Verdict{State: Indeterminate, EDE: NoEDE, Reason: "rcode " + dns.RcodeToString[reply.Rcode] + " is not validated"}
	}
	if nta := v.negative.covers(qname); nta != "" {
		return insecure("negative trust anchor " + nta)
	}
	if v.anchors.closest(qname) == "" {
		return Verdict{State: Indeterminate, EDE: NoEDE, Reason: "no trust anchor covers " + qname}
	}
	r := &run{v: v, ctx: ctx, now: v.now(), seenKeys: map[string]*zoneKeys{}, seenCuts: map[string]*cut{}}
	return r.reply(reply, qname, q.Qtype)
}

// run is one validation: the context and clock every step shares, and
// what it has already worked out. Results the caches do not keep (fetch
// failures) are remembered for the run, so no zone is judged twice in one
// validation however many records name it.
type run struct {
	v        *Validator
	ctx      context.Context
	now      time.Time
	depth    int
	queries  int
	seenKeys map[string]*zoneKeys
	seenCuts map[string]*cut
}

// query asks the upstreams for name/qtype with DO and CD set: CD so that an
// upstream that validates still hands over what it would reject, for us to
// judge (and report) ourselves.
func (r *run) query(name string, qtype uint16) (*dns.Msg, error) {
	if r.queries++; r.queries > maxQueries {
		return nil, fmt.Errorf("%s %s: more than %d queries for one answer", name, dns.TypeToString[qtype], maxQueries)
	}
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.RecursionDesired = true
	m.CheckingDisabled = true
	m.SetEdns0(1232, true)
	reply, err := r.v.exchange(r.ctx, m)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", name, dns.TypeToString[qtype], err)
	}
	if reply.Rcode != dns.RcodeSuccess && reply.Rcode != dns.RcodeNameError {
		return nil, fmt.Errorf("%s %s: upstream answered %s", name, dns.TypeToString[qtype], dns.RcodeToString[reply.Rcode])
	}
	return reply, nil
}

// unreachable is the verdict when the keys needed could not be fetched.
func unreachable(err error) Verdict {
	return bogus(edeNoReachableAuthority, "fetch "+err.Error())
}
