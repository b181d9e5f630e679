package cache

import (
	"encoding/binary"
	"time"

	"github.com/miekg/dns"
)

// lifetime decides whether an upstream answer may be cached, as what kind,
// and for how many seconds. ok is false for answers that must not be cached:
// truncated ones, rcodes other than NOERROR, NXDOMAIN and SERVFAIL, negative
// answers without an SOA (RFC 2308 §5) and anything whose TTL comes to 0.
func (c *Cache) lifetime(m *dns.Msg) (kind Kind, ttl uint32, ok bool) {
	if m.Truncated || len(m.Question) != 1 {
		return 0, 0, false
	}
	switch {
	case m.Rcode == dns.RcodeServerFailure:
		kind, ttl = Failure, seconds(c.cfg.ServfailTTL)
	case m.Rcode == dns.RcodeNameError, m.Rcode == dns.RcodeSuccess && len(m.Answer) == 0:
		kind, ttl = Negative, min(negativeTTL(m), seconds(c.cfg.NegativeMaxTTL))
	case m.Rcode == dns.RcodeSuccess:
		kind, ttl = Positive, c.clamp(minTTL(m))
	default:
		return 0, 0, false
	}
	return kind, ttl, ttl > 0
}

// negativeTTL is min(SOA TTL, SOA MINIMUM) from the authority section, or 0
// when there is no SOA.
func negativeTTL(m *dns.Msg) uint32 {
	for _, rr := range m.Ns {
		if soa, ok := rr.(*dns.SOA); ok {
			return min(soa.Hdr.Ttl, soa.Minttl)
		}
	}
	return 0
}

// minTTL is the smallest TTL of any record but OPT: the whole message is
// served as one, so it lives as long as its shortest-lived part.
func minTTL(m *dns.Msg) uint32 {
	t := ^uint32(0)
	for _, sec := range [...][]dns.RR{m.Answer, m.Ns, m.Extra} {
		for _, rr := range sec {
			if h := rr.Header(); h.Rrtype != dns.TypeOPT {
				t = min(t, h.Ttl)
			}
		}
	}
	return t
}

func (c *Cache) clamp(t uint32) uint32 {
	return max(min(t, seconds(c.cfg.MaxTTL)), seconds(c.cfg.MinTTL))
}

// storeTTLs rewrites the TTL fields of a packed answer, at the offsets
// scan found (offs, two bytes each), to what a hit at age 0 hands out.
// Positive records keep their own TTL, clamped like the entry; negative
// and SERVFAIL records never outlive the entry.
func (c *Cache) storeTTLs(wire, offs []byte, kind Kind, ttl uint32) {
	for i := 0; i+1 < len(offs); i += 2 {
		off := binary.BigEndian.Uint16(offs[i:])
		t := binary.BigEndian.Uint32(wire[off:])
		if kind == Positive {
			t = c.clamp(t)
		} else {
			t = min(t, ttl)
		}
		binary.BigEndian.PutUint32(wire[off:], t)
	}
}

func seconds(d time.Duration) uint32 {
	return uint32(min(d/time.Second, 1<<32-1))
}
