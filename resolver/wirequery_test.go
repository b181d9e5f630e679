package resolver

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// wireQuery packs a query for name and type t, with edit applied to the
// message before packing and raw applied to the bytes after.
func wireQuery(t testing.TB, name string, edit func(*dns.Msg), raw func([]byte) []byte) []byte {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	m.Id = 0x1234
	if edit != nil {
		edit(m)
	}
	b, err := m.Pack()
	if err != nil {
		t.Fatalf("pack %s: %v", name, err)
	}
	if raw != nil {
		b = raw(b)
	}
	return b
}

func withOPT(do bool, opts ...dns.EDNS0) func(*dns.Msg) {
	return func(m *dns.Msg) {
		m.SetEdns0(1232, do)
		m.IsEdns0().Option = opts
	}
}

// queryCorpus is odd and ordinary queries, and whether the wire path reads
// them (the rest go to miekg).
func queryCorpus(t testing.TB) []struct {
	name string
	pkt  []byte
	fast bool
} {
	long := strings.Repeat(strings.Repeat("a", 63)+".", 3) // 192 bytes on the wire
	return []struct {
		name string
		pkt  []byte
		fast bool
	}{
		{"plain", wireQuery(t, "www.example.com.", nil, nil), true},
		{"0x20 case", wireQuery(t, "wWw.ExAmPlE.cOm.", nil, nil), true},
		{"root", wireQuery(t, ".", nil, nil), true},
		{"digits hyphen underscore", wireQuery(t, "_dmarc.a-1.b_2.", nil, nil), true},
		{"opt", wireQuery(t, "example.com.", withOPT(false), nil), true},
		{"opt do", wireQuery(t, "example.com.", withOPT(true), nil), true},
		{"all header bits", wireQuery(t, "example.com.", func(m *dns.Msg) {
			m.Authoritative, m.Truncated, m.RecursionAvailable, m.Zero = true, true, true, true
			m.AuthenticatedData, m.CheckingDisabled, m.Rcode = true, true, dns.RcodeRefused
		}, nil), true},
		{"opcode notify", wireQuery(t, "example.com.", func(m *dns.Msg) { m.Opcode = dns.OpcodeNotify }, nil), true},
		{"extended rcode and version", wireQuery(t, "example.com.", func(m *dns.Msg) {
			withOPT(true)(m)
			m.IsEdns0().SetVersion(1)
			m.IsEdns0().SetExtendedRcode(dns.RcodeBadVers)
		}, nil), true},
		{"class chaos type any", wireQuery(t, "version.bind.", func(m *dns.Msg) {
			m.Question[0].Qclass, m.Question[0].Qtype = dns.ClassCHAOS, dns.TypeANY
		}, nil), true},
		{"63-byte labels", wireQuery(t, long, nil, nil), true},
		{"longest name", wireQuery(t, long+strings.Repeat("b", 61)+".", nil, nil), true}, // 254 bytes of labels
		{"name one byte too long", func() []byte {
			b := wireQuery(t, long+strings.Repeat("b", 61)+".", nil, nil)
			// Grow the last label by one byte: 255 bytes of labels, which miekg refuses.
			i := 12 + 192
			b[i]++
			return append(b[:i+1], append([]byte{'b'}, b[i+1:]...)...)
		}(), false},
		{"escaped dot", wireQuery(t, `a\.b.example.`, nil, nil), false},
		{"escaped space", wireQuery(t, `a\ b.example.`, nil, nil), false},
		{"byte 0x7f", wireQuery(t, `a\127.example.`, nil, nil), false},
		{"byte 0xff", wireQuery(t, `a\255.example.`, nil, nil), false},
		{"edns cookie", wireQuery(t, "example.com.", withOPT(false, &dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0102030405060708"}), nil), false},
		{"edns empty ede", wireQuery(t, "example.com.", withOPT(false, &dns.EDNS0_EDE{}), nil), false},
		{"two questions", wireQuery(t, "a.example.", func(m *dns.Msg) {
			m.Question = append(m.Question, dns.Question{Name: "b.example.", Qtype: dns.TypeA, Qclass: dns.ClassINET})
		}, nil), false},
		{"no question", wireQuery(t, "a.example.", func(m *dns.Msg) { m.Question = nil }, nil), false},
		{"answer record", wireQuery(t, "a.example.", func(m *dns.Msg) {
			m.Answer = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: "a.example.", Rrtype: dns.TypeA, Class: dns.ClassINET}, A: []byte{1, 2, 3, 4}}}
		}, nil), false},
		{"two opts", wireQuery(t, "a.example.", withOPT(false), func(b []byte) []byte {
			b[11] = 2
			return append(b, b[len(b)-11:]...)
		}), false},
		{"opt with a name", wireQuery(t, "a.example.", func(m *dns.Msg) {
			withOPT(false)(m)
			m.IsEdns0().Hdr.Name = "a.example."
		}, nil), false},
		{"compression pointer in question", []byte{0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1}, false},
		{"pointer after a label", []byte{0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0xC0, 12, 0, 1, 0, 1}, false},
		{"reserved label type", []byte{0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x41, 'a', 0, 0, 1, 0, 1}, false},
		{"trailing byte", wireQuery(t, "a.example.", nil, func(b []byte) []byte { return append(b, 0) }), false},
		{"trailing after opt", wireQuery(t, "a.example.", withOPT(false), func(b []byte) []byte { return append(b, 0) }), false},
		{"question cut short", wireQuery(t, "a.example.", nil, func(b []byte) []byte { return b[:len(b)-1] }), false},
		{"name cut short", wireQuery(t, "a.example.", nil, func(b []byte) []byte { return b[:15] }), false},
		{"header only", wireQuery(t, "a.example.", nil, func(b []byte) []byte { return b[:12] }), false},
		{"truncated header", []byte{0, 1, 1, 0, 0, 1}, false},
		{"opt cut short", wireQuery(t, "a.example.", withOPT(false), func(b []byte) []byte { return b[:len(b)-1] }), false},
		{"arcount without record", wireQuery(t, "a.example.", nil, func(b []byte) []byte { b[11] = 1; return b }), false},
		{"a record as additional", wireQuery(t, "a.example.", func(m *dns.Msg) {
			m.Extra = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeA, Class: dns.ClassINET}}}
		}, nil), false},
	}
}

// TestQueryUnpackMatchesMiekg checks that a Query unpacks every packet of
// the corpus to the message, and the reason, UnpackQuery gives, reading
// the common ones itself; one Query serves them all in turn, as in the
// UDP loop, so nothing of a query may leak into the next.
func TestQueryUnpackMatchesMiekg(t *testing.T) {
	var q Query
	for _, c := range queryCorpus(t) {
		t.Run(c.name, func(t *testing.T) {
			var scratch Query
			if got := scratch.unpackCommon(c.pkt); got != c.fast {
				t.Errorf("read from the wire: %v, want %v", got, c.fast)
			}
			want := new(dns.Msg)
			wantReason := UnpackQuery(want, c.pkt)
			reason := q.Unpack(c.pkt)
			if reason != wantReason {
				t.Fatalf("reason %q, UnpackQuery's %q", reason, wantReason)
			}
			if reason == "" && !reflect.DeepEqual(&q.Msg, want) {
				t.Errorf("message\n%v\nUnpackQuery's\n%v", &q.Msg, want)
			}
		})
	}
}

// TestQueryUnpackAllocs checks the common query costs only its name.
func TestQueryUnpackAllocs(t *testing.T) {
	pkt := wireQuery(t, "www.example.com.", withOPT(true), nil)
	var q Query
	if n := testing.AllocsPerRun(100, func() { q.Unpack(pkt) }); n != 1 {
		t.Errorf("%v allocations, want 1 (the name)", n)
	}
}

// FuzzQueryUnpack checks any datagram unpacks as UnpackQuery unpacks it.
func FuzzQueryUnpack(f *testing.F) {
	for _, c := range queryCorpus(f) {
		f.Add(c.pkt)
	}
	f.Fuzz(func(t *testing.T, pkt []byte) {
		orig := bytes.Clone(pkt)
		var q Query
		want := new(dns.Msg)
		wantReason := UnpackQuery(want, pkt)
		if reason := q.Unpack(pkt); reason != wantReason {
			t.Fatalf("reason %q, UnpackQuery's %q", reason, wantReason)
		}
		if wantReason == "" && !reflect.DeepEqual(&q.Msg, want) {
			t.Fatalf("message\n%v\nUnpackQuery's\n%v", &q.Msg, want)
		}
		if !bytes.Equal(pkt, orig) {
			t.Fatal("the packet was modified")
		}
	})
}

// BenchmarkQueryUnpack compares the wire path with miekg's on a common query.
func BenchmarkQueryUnpack(b *testing.B) {
	pkt := wireQuery(b, "www.example.com.", withOPT(true), nil)
	b.Run("wire", func(b *testing.B) {
		b.ReportAllocs()
		var q Query
		for b.Loop() {
			q.Unpack(pkt)
		}
	})
	b.Run("miekg", func(b *testing.B) {
		b.ReportAllocs()
		m := new(dns.Msg)
		for b.Loop() {
			*m = dns.Msg{}
			UnpackQuery(m, pkt)
		}
	})
}
