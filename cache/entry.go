package cache

import (
	"encoding/binary"
	"sync/atomic"
	"time"
)

// Kind says what sort of answer an entry holds; each has its own TTL rule.
type Kind uint8

// The kinds of cached answer.
const (
	Positive Kind = iota // NOERROR with records: smallest TTL, clamped
	Negative             // NXDOMAIN or NODATA: RFC 2308 §5 from the SOA
	Failure              // SERVFAIL: remembered briefly (RFC 9520)
)

// StaleTTL is the TTL of every record in a stale answer (RFC 8767 §4).
const StaleTTL = 30

// Entry is one cached answer. Its answer is immutable; only the counters
// that drive prefetch and the failure-recheck timer change.
//
// Everything it keeps of the answer and its key is one buffer without
// pointers, data: the packed answer (ID 0, question lowercased, TTL fields
// hold the stored TTLs), then the offset of each TTL field a hit rewrites
// (two bytes each), then the key's name. So an entry is two objects for
// the garbage collector to mark (itself and data; targets only when the
// answer has CNAMEs), not one for each of those.
type Entry struct {
	data    []byte
	layout  layout
	targets []string // CNAME targets, lowercased; nil without CNAMEs
	kind    Kind
	qtype   uint16 // the key, with the name at data[layout.nameStart:]
	qclass  uint16
	do, cd  bool
	stored  int64 // unix nanoseconds
	expires int64 // unix nanoseconds
	size    int64 // bytes accounted against max_bytes

	hits       atomic.Uint32
	prefetched atomic.Bool
	failedAt   atomic.Int64 // last failed refresh, unix nanoseconds; 0 if none
}

// matches reports whether e is stored under k (nil matches nothing).
func (e *Entry) matches(k Key) bool {
	return e != nil && e.qtype == k.Type && e.qclass == k.Class && e.do == k.DO && e.cd == k.CD &&
		string(e.data[e.layout.nameStart:]) == k.Name
}

// wire is the packed answer.
func (e *Entry) wire() []byte { return e.data[:e.layout.wireEnd] }

// Kind returns what sort of answer the entry holds.
func (e *Entry) Kind() Kind { return e.kind }

// Targets returns the CNAME targets in the answer, lowercased, so the
// response filter can check them against each client's group on a hit
// without unpacking. The caller must not modify the slice.
func (e *Entry) Targets() []string { return e.targets }

// Expires returns when the entry stops being fresh.
func (e *Entry) Expires() time.Time { return time.Unix(0, e.expires) }

// Len returns the length of the packed answer AppendWire produces.
func (e *Entry) Len() int { return int(e.layout.wireEnd) }

// AppendWire appends the answer, packed, for a client whose query had the
// given ID and question spelling, with TTLs decreased by the time spent in
// the cache. It allocates nothing when dst has room.
func (e *Entry) AppendWire(dst []byte, id uint16, qname string, now time.Time) []byte {
	return e.appendWire(dst, id, qname, e.age(now), false)
}

func (e *Entry) age(now time.Time) uint32 {
	age := now.UnixNano() - e.stored
	if age < 0 {
		age = 0
	}
	return uint32(min(age/int64(time.Second), 1<<32-1))
}

// AppendBare is AppendWire (AppendStale when stale) without the OPT record,
// for a server that puts its own OPT in every answer: the answer is then
// written as it is, with no unpacking. It reports false, and appends
// nothing, when the OPT cannot simply be cut off (records follow it, or it
// carries an extended rcode); AppendWire still works for those entries.
func (e *Entry) AppendBare(dst []byte, id uint16, qname string, now time.Time, stale bool) ([]byte, bool) {
	if !e.layout.bare {
		return dst, false
	}
	start := len(dst)
	dst = e.appendWire(dst, id, qname, e.age(now), stale)
	if e.layout.optStart == 0 {
		return dst, true
	}
	dst = dst[:start+int(e.layout.optStart)]
	ar := dst[start+10:]
	binary.BigEndian.PutUint16(ar, binary.BigEndian.Uint16(ar)-1)
	return dst, true
}

// AppendStale is AppendWire for an expired entry: every TTL is StaleTTL.
func (e *Entry) AppendStale(dst []byte, id uint16, qname string) []byte {
	return e.appendWire(dst, id, qname, 0, true)
}

func (e *Entry) appendWire(dst []byte, id uint16, qname string, age uint32, stale bool) []byte {
	start := len(dst)
	dst = append(dst, e.wire()...)
	w := dst[start:]
	binary.BigEndian.PutUint16(w, id)
	patchCase(w[12:e.layout.qnameEnd], qname)
	offs := e.data[e.layout.wireEnd:e.layout.nameStart]
	for i := 0; i+1 < len(offs); i += 2 {
		off := binary.BigEndian.Uint16(offs[i:])
		t := uint32(StaleTTL)
		if !stale {
			t = binary.BigEndian.Uint32(w[off:])
			t -= min(t, age)
		}
		binary.BigEndian.PutUint32(w[off:], t)
	}
	return dst
}
