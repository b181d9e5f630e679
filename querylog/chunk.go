package querylog

import (
	"encoding/binary"
	"errors"
	"time"
)

// A chunk is up to chunkRows records stored as one row: a dictionary of the
// distinct strings its records use (names, clients, results, lists...),
// then each record as varints, the strings as dictionary indexes. Stored a
// row and 13 bound values a record, SQLite cost 5-12 µs of CPU per record
// on the benchmark machine; a chunk costs about 0.3 µs a record to encode
// and one small insert, so the log keeps up with 20,000 queries a second
// for a few percent of one core. Searches decode chunks newest first,
// skipping a chunk whose dictionary cannot match.
//
// Layout: version, string count, strings (length, bytes), record count,
// then per record: time (µs, zig-zag delta from the previous record's, the
// first from 0), the string fields' indexes (ten in version 1, eleven
// from version 2, which added the client ID), rcode (zig-zag), duration
// (µs). Chunks are written in the newest version and read in any, so a
// log written before an upgrade stays searchable; the fields a version
// lacks read as "".
const (
	chunkVersion = 2
	chunkRows    = 256
	chunkFields  = 11 // string fields a record refers to
)

// versionFields is how many string fields a record of each chunk version
// has; the fields are only ever added at the end.
var versionFields = [...]int{1: 10, 2: 11}

// The string fields of a record, in their encoded order.
const (
	fClient = iota
	fProtocol
	fName
	fType
	fResult
	fGroup
	fList
	fRule
	fUpstream
	fReason
	fClientID
)

func fields(r *Record) [chunkFields]string {
	return [chunkFields]string{r.Client, r.Protocol, r.Name, r.Type, r.Result, r.Group, r.List, r.Rule, r.Upstream, r.Reason, r.ClientID}
}

// chunkEncoder builds chunks, reusing its buffers from one to the next.
type chunkEncoder struct {
	dict  map[string]uint64
	strs  []string
	body  []byte
	out   []byte
	first time.Time
	last  time.Time
	n     int
}

func newChunkEncoder() *chunkEncoder {
	return &chunkEncoder{dict: make(map[string]uint64, 512)}
}

// encode returns recs (at most chunkRows) as a chunk, valid until the next call.
func (c *chunkEncoder) encode(recs []Record) []byte { return c.encodeAs(recs, chunkVersion) }

// encodeAs is encode in an older version too, which leaves out the fields
// added since: for the tests that older logs stay readable.
func (c *chunkEncoder) encodeAs(recs []Record, version uint64) []byte {
	nf := versionFields[version]
	clear(c.dict)
	c.strs, c.body, c.n = c.strs[:0], c.body[:0], len(recs)
	var prev int64
	for i := range recs {
		r := &recs[i]
		if i == 0 || r.Time.Before(c.first) {
			c.first = r.Time
		}
		if i == 0 || r.Time.After(c.last) {
			c.last = r.Time
		}
		ts := r.Time.UnixMicro()
		c.body = binary.AppendVarint(c.body, ts-prev)
		prev = ts
		fs := fields(r)
		for _, s := range fs[:nf] {
			c.body = binary.AppendUvarint(c.body, c.index(s))
		}
		c.body = binary.AppendVarint(c.body, int64(r.Rcode))
		c.body = binary.AppendUvarint(c.body, uint64(max(r.Duration.Microseconds(), 0)))
	}
	c.out = binary.AppendUvarint(c.out[:0], version)
	c.out = binary.AppendUvarint(c.out, uint64(len(c.strs)))
	for _, s := range c.strs {
		c.out = binary.AppendUvarint(c.out, uint64(len(s)))
		c.out = append(c.out, s...)
	}
	c.out = binary.AppendUvarint(c.out, uint64(len(recs)))
	return append(c.out, c.body...)
}

func (c *chunkEncoder) index(s string) uint64 {
	if i, ok := c.dict[s]; ok {
		return i
	}
	i := uint64(len(c.strs))
	c.dict[s] = i
	c.strs = append(c.strs, s)
	return i
}

// chunk is a decoded chunk: its dictionary as slices of the blob, and,
// once load is called, the records' fields. It is reused from one chunk to
// the next. Searches look at the dictionary first: most chunks cannot
// match a name, client or result, and their records are never decoded.
type chunk struct {
	strs    [][]byte
	recs    []codedRecord
	pending []byte // the encoded records, until load
	nr      uint64 // how many
	nf      int    // string fields a record has in this chunk's version
	empty   uint32 // the dictionary index of "", for the fields the version lacks
}

// codedRecord is a record whose strings are still dictionary indexes.
type codedRecord struct {
	ts       int64
	str      [chunkFields]uint32
	rcode    int
	duration int64
}

var errBadChunk = errors.New("query log chunk is damaged")

// decode parses b into c, records included. The dictionary refers to b,
// which must not change while c is in use.
func (c *chunk) decode(b []byte) error {
	if err := c.decodeDict(b); err != nil {
		return err
	}
	return c.load()
}

// decodeDict parses the dictionary of b, leaving the records for load.
func (c *chunk) decodeDict(b []byte) error {
	d := decoder{b: b}
	v := d.uvarint()
	if v == 0 || v >= uint64(len(versionFields)) {
		return errBadChunk
	}
	c.nf = versionFields[v]
	ns := d.uvarint()
	if ns > uint64(len(b)) {
		return errBadChunk
	}
	c.strs, c.recs = c.strs[:0], c.recs[:0]
	for range ns {
		l := d.uvarint()
		if d.err || l > uint64(len(d.b)) {
			return errBadChunk
		}
		c.strs, d.b = append(c.strs, d.b[:l]), d.b[l:]
	}
	if c.nf < chunkFields {
		// An older chunk: its missing fields point at an "" of their own,
		// after the chunk's strings, which searches for a value never match.
		c.empty = uint32(len(c.strs))
		c.strs = append(c.strs, nil)
	}
	c.nr = d.uvarint()
	if d.err || c.nr > uint64(len(b)) {
		return errBadChunk
	}
	c.pending = d.b
	return nil
}

// load decodes the records decodeDict left.
func (c *chunk) load() error {
	if c.pending == nil {
		return nil
	}
	d, ns := decoder{b: c.pending}, uint64(len(c.strs))
	if c.nf < chunkFields {
		ns = uint64(c.empty) // the chunk's own strings, not the "" decodeDict added
	}
	c.pending = nil
	var ts int64
	for range c.nr {
		var r codedRecord
		ts += d.varint()
		r.ts = ts
		for f := range r.str {
			if f >= c.nf {
				r.str[f] = c.empty
				continue
			}
			i := d.uvarint()
			if i >= ns {
				return errBadChunk
			}
			r.str[f] = uint32(i)
		}
		r.rcode, r.duration = int(d.varint()), int64(d.uvarint())
		c.recs = append(c.recs, r)
	}
	if d.err {
		c.recs = c.recs[:0]
		return errBadChunk
	}
	return nil
}

// str is field f of r.
func (c *chunk) str(r *codedRecord, f int) string { return string(c.strs[r.str[f]]) }

// record is r with its strings.
func (c *chunk) record(r *codedRecord) Record {
	return Record{
		Time: time.UnixMicro(r.ts).UTC(), Client: c.str(r, fClient), Protocol: c.str(r, fProtocol),
		Name: c.str(r, fName), Type: c.str(r, fType), Result: c.str(r, fResult), Group: c.str(r, fGroup),
		List: c.str(r, fList), Rule: c.str(r, fRule), Upstream: c.str(r, fUpstream), Reason: c.str(r, fReason),
		ClientID: c.str(r, fClientID), Rcode: r.rcode, Duration: time.Duration(r.duration) * time.Microsecond,
	}
}

// decoder reads varints, remembering the first failure.
type decoder struct {
	b   []byte
	err bool
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err, d.b = true, nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err, d.b = true, nil
		return 0
	}
	d.b = d.b[n:]
	return v
}
