package dnstest

import (
	"net"

	"github.com/miekg/dns"
)

// A returns a handler that answers every query with one A record for the
// question name pointing at ip, TTL 60.
func A(ip string) dns.HandlerFunc {
	addr := net.ParseIP(ip)
	return func(w dns.ResponseWriter, r *dns.Msg) {
		_ = w.WriteMsg(Reply(r, addr))
	}
}

// Reply builds the answer A would send to r: one A record for ip when the
// question is type A, an empty NOERROR answer otherwise. It echoes an OPT
// record when r has one, as a real resolver does.
func Reply(r *dns.Msg, ip net.IP) *dns.Msg {
	m := new(dns.Msg).SetReply(r)
	m.RecursionAvailable = true
	if len(r.Question) == 1 && r.Question[0].Qtype == dns.TypeA {
		m.Answer = append(m.Answer, &dns.A{
			Hdr: dns.RR_Header{Name: r.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60},
			A:   ip,
		})
	}
	if o := r.IsEdns0(); o != nil {
		m.SetEdns0(1232, o.Do())
	}
	return m
}
