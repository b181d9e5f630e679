package upstream

import (
	"bytes"
	"net"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func TestNewQueryBuildsCleanEDNS(t *testing.T) {
	ecs := &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: 24, Address: net.ParseIP("198.51.100.0")}
	cookie := &dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0123456789abcdef"}
	tests := []struct {
		name       string
		client     func() *dns.Msg
		do, cd, rd bool
	}{
		{"no EDNS", func() *dns.Msg { return new(dns.Msg).SetQuestion("a.example.", dns.TypeA) }, false, false, true},
		{"DO and CD pass through", func() *dns.Msg {
			m := new(dns.Msg).SetQuestion("a.example.", dns.TypeA)
			m.SetEdns0(4096, true)
			m.CheckingDisabled = true
			return m
		}, true, true, true},
		{"ECS and cookie dropped", func() *dns.Msg {
			m := new(dns.Msg).SetQuestion("a.example.", dns.TypeAAAA)
			m.SetEdns0(512, false)
			o := m.IsEdns0()
			o.Option = append(o.Option, ecs, cookie)
			m.RecursionDesired = false
			return m
		}, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.client()
			q := newQuery(c)
			if q.Question[0] != c.Question[0] {
				t.Errorf("question %v, want %v", q.Question[0], c.Question[0])
			}
			o := q.IsEdns0()
			if o == nil {
				t.Fatal("no OPT record upstream")
			}
			if o.UDPSize() != 1232 || o.Do() != tt.do || len(o.Option) != 0 {
				t.Errorf("OPT size %d DO %v options %v; want 1232, %v, none", o.UDPSize(), o.Do(), o.Option, tt.do)
			}
			if q.CheckingDisabled != tt.cd || q.RecursionDesired != tt.rd {
				t.Errorf("CD %v RD %v, want %v %v", q.CheckingDisabled, q.RecursionDesired, tt.cd, tt.rd)
			}
			if len(q.Extra) != 1 || len(q.Answer)+len(q.Ns) != 0 {
				t.Errorf("extra sections leaked: %v", q)
			}
		})
	}
}

func TestMatches(t *testing.T) {
	q := new(dns.Msg).SetQuestion("a.example.", dns.TypeA)
	q.Id = 7
	tests := []struct {
		name  string
		reply func() *dns.Msg
		want  bool
	}{
		{"match", func() *dns.Msg { return new(dns.Msg).SetReply(q) }, true},
		{"case differs", func() *dns.Msg {
			m := new(dns.Msg).SetReply(q)
			m.Question[0].Name = "A.EXAMPLE."
			return m
		}, true},
		{"id", func() *dns.Msg { m := new(dns.Msg).SetReply(q); m.Id = 8; return m }, false},
		{"class", func() *dns.Msg { m := new(dns.Msg).SetReply(q); m.Question[0].Qclass = dns.ClassCHAOS; return m }, false},
		{"no question", func() *dns.Msg { m := new(dns.Msg).SetReply(q); m.Question = nil; return m }, false},
		{"query not reply", func() *dns.Msg { m := q.Copy(); return m }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := matches(q, tt.reply()); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestAppendQueryPacksAsMiekg checks appendQuery gives miekg's bytes for
// what it packs, and declines the rest (which packQuery gives to miekg).
func TestAppendQueryPacksAsMiekg(t *testing.T) {
	withOpt := func(m *dns.Msg, size uint16, do bool) *dns.Msg { m.SetEdns0(size, do); return m }
	tests := []struct {
		name string
		msg  func() *dns.Msg
		ok   bool
	}{
		{"newQuery, no DO", func() *dns.Msg { return newQuery(new(dns.Msg).SetQuestion("www.Example.com.", dns.TypeA)) }, true},
		{"newQuery, DO CD AD", func() *dns.Msg {
			c := withOpt(new(dns.Msg).SetQuestion("a.b.example.", dns.TypeAAAA), 4096, true)
			c.CheckingDisabled, c.AuthenticatedData, c.RecursionDesired = true, true, false
			return newQuery(c)
		}, true},
		{"root", func() *dns.Msg { return new(dns.Msg).SetQuestion(".", dns.TypeNS) }, true},
		{"every header bit", func() *dns.Msg {
			m := new(dns.Msg).SetQuestion("x.example.", dns.TypeTXT)
			m.Response, m.Authoritative, m.Truncated, m.RecursionAvailable, m.Zero = true, true, true, true, true
			m.Opcode, m.Rcode = dns.OpcodeNotify, dns.RcodeRefused
			return m
		}, true},
		{"OPT with stale extended rcode", func() *dns.Msg {
			m := withOpt(new(dns.Msg).SetQuestion("x.example.", dns.TypeA), 1232, true)
			m.IsEdns0().SetExtendedRcode(dns.RcodeBadVers)
			return m
		}, true},
		{"63-byte label", func() *dns.Msg { return new(dns.Msg).SetQuestion(strings.Repeat("a", 63)+".example.", dns.TypeA) }, true},
		{"64-byte label", func() *dns.Msg { return new(dns.Msg).SetQuestion(strings.Repeat("a", 64)+".example.", dns.TypeA) }, false},
		{"empty label", func() *dns.Msg { return new(dns.Msg).SetQuestion("a..example.", dns.TypeA) }, false},
		{"not fully qualified", func() *dns.Msg { return new(dns.Msg).SetQuestion("example", dns.TypeA) }, false},
		{"escaped", func() *dns.Msg { return new(dns.Msg).SetQuestion(`a\.b.example.`, dns.TypeA) }, false},
		{"OPT with an option", func() *dns.Msg {
			m := withOpt(new(dns.Msg).SetQuestion("x.example.", dns.TypeA), 1232, false)
			m.IsEdns0().Option = []dns.EDNS0{&dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0123456789abcdef"}}
			return m
		}, false},
		{"two questions", func() *dns.Msg {
			m := new(dns.Msg).SetQuestion("x.example.", dns.TypeA)
			m.Question = append(m.Question, m.Question[0])
			return m
		}, false},
		{"an answer", func() *dns.Msg {
			m := new(dns.Msg).SetQuestion("x.example.", dns.TypeA)
			m.Answer = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: "x.example.", Rrtype: dns.TypeA, Class: dns.ClassINET}, A: net.IPv4(192, 0, 2, 1)}}
			return m
		}, false},
		{"extended rcode", func() *dns.Msg {
			m := withOpt(new(dns.Msg).SetQuestion("x.example.", dns.TypeA), 1232, false)
			m.Rcode = dns.RcodeBadCookie
			return m
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.msg()
			id := m.Id
			got, ok := appendQuery(nil, 0xBEEF, m)
			if ok != tt.ok {
				t.Fatalf("ok %v, want %v", ok, tt.ok)
			}
			c := m.Copy()
			c.Id = 0xBEEF
			want, err := c.Pack()
			if !ok {
				if err == nil {
					// packQuery falls back to miekg: the same bytes.
					if got, perr := packQuery(nil, 0xBEEF, m); perr != nil || !bytes.Equal(got, want) {
						t.Errorf("packQuery %x (%v), want %x", got, perr, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("packed\n%x, miekg\n%x", got, want)
			}
			if m.Id != id {
				t.Errorf("the message's ID changed from %d to %d", id, m.Id)
			}
		})
	}
}
