package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/config"
	"github.com/cleandns/cleandns/internal/dnstest"
	"github.com/cleandns/cleandns/resolver"
)

// corpusAnswer answers as a real upstream would: its own OPT, AD set, 100
// records for big.*, NXDOMAIN for nx.*, a CNAME into a blocked name for
// alias.*, and one A record with glue otherwise.
func corpusAnswer(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	m.AuthenticatedData = true
	name := r.Question[0].Name
	rr := func(s string) dns.RR {
		x, err := dns.NewRR(s)
		if err != nil {
			panic(err)
		}
		return x
	}
	switch {
	case dns.IsSubDomain("nx.example.", dns.CanonicalName(name)):
		m.Rcode = dns.RcodeNameError
		m.Ns = []dns.RR{rr("example. 300 IN SOA ns.example. host.example. 1 2 3 4 60")}
	case dns.IsSubDomain("big.example.", dns.CanonicalName(name)):
		for i := range 100 {
			m.Answer = append(m.Answer, rr(fmt.Sprintf("%s 300 IN A 192.0.2.%d", name, i+1)))
		}
	case dns.IsSubDomain("alias.example.", dns.CanonicalName(name)):
		m.Answer = append(m.Answer, rr(name+" 300 IN CNAME v16m.tiktokcdn.com."), rr("v16m.tiktokcdn.com. 300 IN A 192.0.2.9"))
	case r.Question[0].Qtype == dns.TypeA:
		m.Answer = append(m.Answer, rr(name+" 300 IN A 192.0.2.1"))
		m.Extra = append(m.Extra, rr("ns.example. 300 IN A 192.0.2.53"))
	}
	if r.IsEdns0() != nil {
		m.SetEdns0(4096, r.IsEdns0().Do())
	}
	_ = w.WriteMsg(m)
}

// bootPair starts the same config twice, UDP served by udpLoop in one and by
// miekg's server in the other, and returns their addresses.
func bootPair(t testing.TB, extra string) (fast, stock string) {
	return bootPairOn(t, "127.0.0.1:0", extra)
}

// bootPairOn is bootPair listening on listen; the addresses returned are
// on loopback.
func bootPairOn(t testing.TB, listen, extra string) (fast, stock string) {
	t.Helper()
	up := dnstest.NewServer(t, corpusAnswer)
	var addrs []string
	for _, stockUDP := range []bool{false, true} {
		cfg, err := config.Load(config.Source{Name: "t.yaml", Data: []byte(upstreamYAML(up) + extra)},
			config.Overrides{Listen: []string{listen}, HTTP: "127.0.0.1:0"})
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(cfg, Deps{Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		s.stockUDP = stockUDP
		if err := s.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = s.Shutdown(ctx)
		})
		_, port, _ := net.SplitHostPort(s.Addrs()[0])
		addrs = append(addrs, net.JoinHostPort("127.0.0.1", port))
	}
	return addrs[0], addrs[1]
}

// rawAsk sends pkt over UDP and returns the answer's bytes, or nil when
// none comes within wait.
func rawAsk(t testing.TB, addr string, pkt []byte, wait time.Duration) []byte {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(pkt); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 65535)
	n, err := c.Read(buf)
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil
		}
		t.Fatal(err)
	}
	return buf[:n]
}

func pack(t testing.TB, m *dns.Msg) []byte {
	t.Helper()
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// udpCorpus is the queries both paths must answer alike, by name.
func udpCorpus(t testing.TB) map[string][]byte {
	q := func(name string, qtype uint16, edit func(*dns.Msg)) []byte {
		m := new(dns.Msg).SetQuestion(name, qtype)
		m.Id = 0x1234
		if edit != nil {
			edit(m)
		}
		return pack(t, m)
	}
	edns := func(size uint16, do bool) func(*dns.Msg) {
		return func(m *dns.Msg) { m.SetEdns0(size, do) }
	}
	c := map[string][]byte{
		"plain":              q("www.example.", dns.TypeA, nil),
		"mixed case":         q("WwW.ExAmPle.", dns.TypeA, nil),
		"edns 1232":          q("www.example.", dns.TypeA, edns(1232, false)),
		"edns 4096 do":       q("www.example.", dns.TypeA, edns(4096, true)),
		"edns 100":           q("www.example.", dns.TypeA, edns(100, false)),
		"cd rd0":             q("www.example.", dns.TypeA, func(m *dns.Msg) { m.CheckingDisabled, m.RecursionDesired = true, false }),
		"aaaa nodata":        q("www.example.", dns.TypeAAAA, edns(1232, false)),
		"nxdomain":           q("a.nx.example.", dns.TypeA, edns(1232, false)),
		"truncated 512":      q("a.big.example.", dns.TypeA, nil),
		"truncated 1232":     q("a.big.example.", dns.TypeA, edns(1232, false)),
		"big 65535 clamped":  q("a.big.example.", dns.TypeA, edns(65535, false)),
		"any":                q("www.example.", dns.TypeANY, nil),
		"blocked":            q("www.tiktok.com.", dns.TypeA, nil),
		"blocked edns":       q("WWW.TikTok.com.", dns.TypeA, edns(1232, true)),
		"cname into blocked": q("a.alias.example.", dns.TypeA, edns(1232, false)),
		"localhost":          q("localhost.", dns.TypeA, nil),
		"escaped name":       q(`we\.ird.example.`, dns.TypeA, edns(1232, false)),
		"status opcode":      q("www.example.", dns.TypeA, func(m *dns.Msg) { m.Opcode = dns.OpcodeStatus }),
		"edns version 1":     q("www.example.", dns.TypeA, func(m *dns.Msg) { m.SetEdns0(1232, false); m.IsEdns0().SetVersion(1) }),
		"two OPTs":           q("www.example.", dns.TypeA, func(m *dns.Msg) { m.SetEdns0(1232, false); m.SetEdns0(1232, false) }),
		"no question":        pack(t, &dns.Msg{MsgHdr: dns.MsgHdr{Id: 7, RecursionDesired: true}}),
		"response":           q("www.example.", dns.TypeA, func(m *dns.Msg) { m.Response = true }),
		"short":              {0x12, 0x34, 0x01},
		"garbage":            []byte("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xff\xff\xff"),
	}
	two := new(dns.Msg).SetQuestion("www.example.", dns.TypeA)
	two.Question = append(two.Question, two.Question[0])
	c["two questions"] = pack(t, two)
	plain := c["plain"]
	c["question cut short"] = plain[:len(plain)-3]
	// The UDP loop reads the common query from the wire itself
	// (resolver.Query) and leaves the rest to miekg: both sides of that
	// line, each of which must be answered as miekg's server answers it.
	label63 := strings.Repeat("a", 63) + "."
	longest := strings.Repeat(label63, 3) + strings.Repeat("b", 61) + "." // 255 octets on the wire
	c["63-byte labels"] = q(label63+label63+"example.", dns.TypeA, edns(1232, false))
	c["longest name"] = q(longest, dns.TypeA, edns(1232, true))
	c["edns cookie"] = q("www.example.", dns.TypeA, func(m *dns.Msg) {
		m.SetEdns0(1232, false)
		m.IsEdns0().Option = []dns.EDNS0{&dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0102030405060708"}}
	})
	c["edns version 1 cookie"] = q("www.example.", dns.TypeA, func(m *dns.Msg) {
		m.SetEdns0(1232, true)
		m.IsEdns0().SetVersion(1)
		m.IsEdns0().Option = []dns.EDNS0{&dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0102030405060708"}}
	})
	c["extended rcode bits"] = q("www.example.", dns.TypeA, func(m *dns.Msg) {
		m.SetEdns0(1232, false)
		m.IsEdns0().Hdr.Ttl |= 1 << 24
	})
	c["header bits"] = q("www.example.", dns.TypeA, func(m *dns.Msg) {
		m.SetEdns0(1232, true)
		m.Truncated, m.Authoritative, m.Zero, m.AuthenticatedData, m.CheckingDisabled = true, true, true, true, true
		m.Rcode = dns.RcodeRefused
	})
	c["class chaos"] = q("version.bind.", dns.TypeTXT, func(m *dns.Msg) { m.Question[0].Qclass = dns.ClassCHAOS })
	c["notify opcode edns"] = q("www.example.", dns.TypeSOA, func(m *dns.Msg) { m.Opcode = dns.OpcodeNotify; m.SetEdns0(1232, false) })
	c["byte 0x20 in a label"] = q(`a\032b.example.`, dns.TypeA, edns(1232, false))
	c["qtype opt"] = q("www.example.", dns.TypeOPT, edns(1232, false))
	return c
}

// TestUDPLoopMatchesStock sends every query of the corpus, twice (a miss,
// then a hit), to a server on udpLoop and one on miekg's server: the answers
// must be the same bytes, or both absent.
func TestUDPLoopMatchesStock(t *testing.T) {
	for _, listen := range []string{"127.0.0.1:0", "0.0.0.0:0"} { // batched; per datagram with IP_PKTINFO
		t.Run(listen, func(t *testing.T) { testMatchesStock(t, listen) })
	}
}

func testMatchesStock(t *testing.T, listen string) {
	fast, stock := bootPairOn(t, listen, "")
	for name, pkt := range udpCorpus(t) {
		t.Run(name, func(t *testing.T) {
			for _, round := range []string{"first", "again"} {
				got, want := askBoth(t, fast, stock, pkt)
				if !bytes.Equal(got, want) {
					t.Errorf("%s: udpLoop answered\n%x\nmiekg's server\n%x", round, got, want)
				}
				if silent := name == "short" || name == "response"; (got == nil) != silent {
					t.Errorf("%s: answer %x, want one: %v", round, got, !silent)
				}
			}
		})
	}
}

// askBoth sends pkt to both servers and returns their answers. The two
// caches stored each answer at slightly different times, so their TTLs
// can differ by one for part of every second: on a difference it asks
// again a little later, for up to two seconds.
func askBoth(t testing.TB, fast, stock string, pkt []byte) (got, want []byte) {
	for try := 0; try < 20; try++ {
		got, want = rawAsk(t, fast, pkt, 300*time.Millisecond), rawAsk(t, stock, pkt, 300*time.Millisecond)
		if bytes.Equal(got, want) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return got, want
}

// stricterThanStock says whether udpLoop answers pkt differently from
// miekg's server on purpose: a message resolver.UnpackQuery refuses (trailing
// bytes, counts, a misplaced OPT) or reads where miekg cannot (an empty EDE
// option). TestProtocolStrictness covers those.
func stricterThanStock(pkt []byte) bool {
	var strict, stock dns.Msg
	return resolver.UnpackQuery(&strict, pkt) != "" || stock.Unpack(pkt) != nil
}

// FuzzUDPLoopMatchesStock feeds the same packet to a server on udpLoop and
// one on miekg's server: the answers must be the same bytes, or both absent.
// Run with: go test -fuzz FuzzUDPLoopMatchesStock -run XXX ./server
func FuzzUDPLoopMatchesStock(f *testing.F) {
	for _, pkt := range udpCorpus(f) {
		f.Add(pkt)
	}
	fast, stock := bootPair(f, "")
	f.Fuzz(func(t *testing.T, pkt []byte) {
		if len(pkt) > 4096 || stricterThanStock(pkt) {
			return
		}
		if got, want := askBoth(t, fast, stock, pkt); !bytes.Equal(got, want) {
			t.Errorf("udpLoop answered\n%x\nmiekg's server\n%x", got, want)
		}
	})
}

// TestUDPLoopAppliesPolicies checks access control and the rate limit hold
// for answers udpLoop gives inline: cache hits and blocked names.
func TestUDPLoopAppliesPolicies(t *testing.T) {
	ask := func(addr, name string) *dns.Msg {
		t.Helper()
		m := new(dns.Msg).SetQuestion(name, dns.TypeA)
		m.SetEdns0(1232, false)
		b := rawAsk(t, addr, pack(t, m), 500*time.Millisecond)
		if b == nil {
			return nil
		}
		r := new(dns.Msg)
		if err := r.Unpack(b); err != nil {
			t.Fatal(err)
		}
		return r
	}
	t.Run("access", func(t *testing.T) {
		fast, _ := bootPair(t, "access: {allow: [10.0.0.0/8]}\n")
		for _, name := range []string{"www.example.", "www.example.", "www.tiktok.com."} {
			r := ask(fast, name)
			if r == nil || r.Rcode != dns.RcodeRefused || len(r.Answer) != 0 {
				t.Errorf("%s from a client outside access.allow: %v", name, r)
			}
		}
	})
	t.Run("ratelimit", func(t *testing.T) {
		fast, _ := bootPair(t, "ratelimit: {enabled: true, qps: 0.001, burst: 3, slip: 1, exempt: []}\n")
		// One miss (inline, then resumed: one token), a hit and a block use
		// the burst of 3; then every query is limited, hits and blocks too.
		for i, name := range []string{"www.example.", "www.example.", "www.tiktok.com.", "www.example.", "www.tiktok.com."} {
			r := ask(fast, name)
			limited := r != nil && r.Truncated && len(r.Answer) == 0 && len(r.Ns) == 0
			if want := i >= 3; limited != want {
				t.Errorf("query %d (%s): limited %v, want %v: %v", i, name, limited, want, r)
			}
		}
	})
}

// TestUDPLoopBatches sends bursts from many sockets at once, so reads and
// writes carry many datagrams each: every query gets its own answer, back
// to the port it came from.
func TestUDPLoopBatches(t *testing.T) {
	fast, _ := bootPair(t, "")
	// Small enough for the default socket buffers: a burst that overflows
	// them loses queries in the kernel, whichever loop serves the socket.
	const clients, each = 8, 16
	errc := make(chan error, clients)
	for c := range clients {
		go func() {
			conn, err := net.Dial("udp", fast)
			if err != nil {
				errc <- err
				return
			}
			defer conn.Close()
			for i := range each { // a burst: all sent before any is read
				name := []string{"www.example.", "www.tiktok.com.", fmt.Sprintf("n%d.example.", i%5)}[i%3]
				m := new(dns.Msg).SetQuestion(name, dns.TypeA)
				m.Id = uint16(c<<8 | i)
				if _, err := conn.Write(pack(t, m)); err != nil {
					errc <- err
					return
				}
			}
			seen := map[uint16]bool{}
			buf := make([]byte, 4096)
			_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			for len(seen) < each {
				n, err := conn.Read(buf)
				if err != nil {
					errc <- fmt.Errorf("client %d: %d of %d answers: %w", c, len(seen), each, err)
					return
				}
				var r dns.Msg
				if err := r.Unpack(buf[:n]); err != nil || int(r.Id>>8) != c || seen[r.Id] {
					errc <- fmt.Errorf("client %d: bad or repeated answer %v: %v", c, &r, err)
					return
				}
				seen[r.Id] = true
			}
			errc <- nil
		}()
	}
	for range clients {
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}
}
