// Command fakeupstream is the upstream resolver of .ci/prometheus: it
// answers every A query with 192.0.2.1 (TEST-NET-1), over UDP and TCP on
// one loopback port, and writes that port's address to the file named by
// -addr-file once both listeners are up, so the script waits on a file
// instead of sleeping. There is no internet in CI.
package main

import (
	"flag"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/miekg/dns"
)

func main() {
	addrFile := flag.String("addr-file", "", "write the listening address here once serving")
	flag.Parse()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	h := dns.HandlerFunc(answer)
	for _, s := range []*dns.Server{{PacketConn: pc, Handler: h}, {Listener: l, Handler: h}} {
		go func() { log.Fatal(s.ActivateAndServe()) }()
	}
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(addr+"\n"), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	log.Printf("fakeupstream: answering on %s", addr)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
}

func answer(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	if len(r.Question) == 1 && r.Question[0].Qtype == dns.TypeA {
		m.Answer = append(m.Answer, &dns.A{
			Hdr: dns.RR_Header{Name: r.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 300},
			A:   net.IPv4(192, 0, 2, 1),
		})
	}
	_ = w.WriteMsg(m)
}
