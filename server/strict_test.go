package server

import (
	"encoding/binary"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/internal/dnstest"
)

// tcpRawAsk sends pkt framed over TCP and returns the answer, or nil.
func tcpRawAsk(t *testing.T, addr string, pkt []byte) []byte {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(pkt))), pkt...)); err != nil {
		t.Fatal(err)
	}
	var l [2]byte
	if _, err := c.Read(l[:]); err != nil {
		return nil
	}
	b := make([]byte, binary.BigEndian.Uint16(l[:]))
	n := 0
	for n < len(b) {
		k, err := c.Read(b[n:])
		if err != nil {
			return nil
		}
		n += k
	}
	return b
}

// strictCorpus is issue 15 item 10's malformed queries, with what cleandns
// answers: the rcode, and whether the answer has an OPT. Unbound 1.17 on
// loopback answers the same rcodes except three: NOERROR to trailing bytes
// and to an option that overruns its OPT (the issue asks for FORMERR), and
// SERVFAIL to class ANY (it tries to resolve it).
func strictCorpus(t *testing.T) []struct {
	name    string
	pkt     []byte
	rcode   int
	opt     bool
	forward bool // reaches the upstream
} {
	base := func(qtype, qclass uint16, edns bool) *dns.Msg {
		m := new(dns.Msg).SetQuestion("www.example.", qtype)
		m.Question[0].Qclass = qclass
		m.Id = 0x4242
		if edns {
			m.SetEdns0(1232, false)
		}
		return m
	}
	withEDNS := pack(t, base(dns.TypeA, dns.ClassINET, true))
	// The OPT is the last record: its rdata length is the last two bytes.
	badOption := append(append([]byte(nil), withEDNS[:len(withEDNS)-2]...), 0, 4, 0, 10, 0, 9) // option 10, length 9, no data
	emptyEDE := append(append([]byte(nil), withEDNS[:len(withEDNS)-2]...), 0, 4, 0, 15, 0, 0)  // dig +ednsopt=15
	optInAnswer := base(dns.TypeA, dns.ClassINET, false)
	optInAnswer.Answer = []dns.RR{&dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT, Class: 1232}}}
	optOwner := base(dns.TypeA, dns.ClassINET, true)
	optOwner.Extra[0].Header().Name = "example."
	counts := append([]byte(nil), pack(t, base(dns.TypeA, dns.ClassINET, false))...)
	binary.BigEndian.PutUint16(counts[10:], 1) // ARCOUNT 1, no record
	trailing := append(pack(t, base(dns.TypeA, dns.ClassINET, true)), 0xde, 0xad, 0xbe, 0xef)
	return []struct {
		name    string
		pkt     []byte
		rcode   int
		opt     bool
		forward bool
	}{
		{"malformed EDNS option", badOption, dns.RcodeFormatError, true, false},
		{"empty EDE option (dig +ednsopt=15)", emptyEDE, dns.RcodeSuccess, true, true},
		{"OPT in the answer section", pack(t, optInAnswer), dns.RcodeFormatError, false, false},
		{"OPT owner not the root", pack(t, optOwner), dns.RcodeFormatError, true, false},
		{"ARCOUNT without the record", counts, dns.RcodeFormatError, false, false},
		{"trailing garbage", trailing, dns.RcodeFormatError, true, false},
		{"qtype OPT", pack(t, base(dns.TypeOPT, dns.ClassINET, true)), dns.RcodeFormatError, true, false},
		{"qtype TSIG", pack(t, base(dns.TypeTSIG, dns.ClassINET, false)), dns.RcodeFormatError, false, false},
		{"class CH", pack(t, base(dns.TypeTXT, dns.ClassCHAOS, false)), dns.RcodeRefused, false, false},
		{"class ANY", pack(t, base(dns.TypeA, dns.ClassANY, true)), dns.RcodeRefused, true, false},
		{"class NONE", pack(t, base(dns.TypeA, dns.ClassNONE, false)), dns.RcodeRefused, false, false},
		{"class 0", pack(t, base(dns.TypeA, 0, false)), dns.RcodeRefused, false, false},
		{"well formed", withEDNS, dns.RcodeSuccess, true, true},
	}
}

// TestProtocolStrictness sends each malformed query over UDP and TCP: the
// rcode is strictCorpus's, a FORMERR to an EDNS query carries an OPT (RFC
// 6891 §7), and nothing but a proper IN question reaches the upstream.
func TestProtocolStrictness(t *testing.T) {
	var hits atomic.Int64
	up := dnstest.NewServer(t, answerA(&hits))
	s := boot(t, upstreamYAML(up)+"cache:\n  enabled: false\n")
	addr := s.Addrs()[0]
	for _, tc := range strictCorpus(t) {
		for _, network := range []string{"udp", "tcp"} {
			t.Run(tc.name+" "+network, func(t *testing.T) {
				before := hits.Load()
				var raw []byte
				if network == "udp" {
					raw = rawAsk(t, addr, tc.pkt, 2*time.Second)
				} else {
					raw = tcpRawAsk(t, addr, tc.pkt)
				}
				r := new(dns.Msg)
				if raw == nil || r.Unpack(raw) != nil {
					t.Fatalf("no readable answer: %x", raw)
				}
				if r.Rcode != tc.rcode || r.Id != 0x4242 {
					t.Errorf("rcode %s id %#x, want %s", dns.RcodeToString[r.Rcode], r.Id, dns.RcodeToString[tc.rcode])
				}
				if (r.IsEdns0() != nil) != tc.opt {
					t.Errorf("answer has an OPT: %v, want %v", r.IsEdns0() != nil, tc.opt)
				}
				if forwarded := hits.Load() > before; forwarded != tc.forward {
					t.Errorf("reached the upstream: %v, want %v", forwarded, tc.forward)
				}
			})
		}
	}
}
