package transport

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// slowResumer suspends every query and answers it on the worker after a
// random wait of up to a millisecond, with the query's name and the client
// address its writer reports, read only once the wait is over: a recycled
// query or writer still in use would answer the wrong name or client.
type slowResumer struct{}

func (slowResumer) For(string) dns.Handler { return nil }

func (slowResumer) ServeInline(r *dns.Msg, _ netip.Addr, _ int, _ time.Time, _ []byte, _ func([]byte) error) func(dns.ResponseWriter) {
	return func(w dns.ResponseWriter) {
		time.Sleep(time.Duration(rand.IntN(1000)) * time.Microsecond)
		m := new(dns.Msg).SetReply(r)
		m.Answer = []dns.RR{&dns.TXT{Hdr: dns.RR_Header{Name: r.Question[0].Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET},
			Txt: []string{r.Question[0].Name, w.RemoteAddr().String()}}}
		_ = w.WriteMsg(m)
	}
}

// TestUDPLoopRecycledQueriesKeepTheirClients: a resumed query's message and
// writer go back to the loop once answered and are read into again, so many
// clients with queries in flight at once, each answered after a random
// wait, must each get the answer to their own query, from the address they
// sent it to (on a wildcard address the writer's packet info is recycled
// too), and every query must be answered.
func TestUDPLoopRecycledQueriesKeepTheirClients(t *testing.T) {
	const clients, perClient, inFlight = 8, 300, 20
	for _, listen := range []string{"127.0.0.1:0", "0.0.0.0:0"} {
		t.Run(listen, func(t *testing.T) {
			l, err := ListenDNS(listen, slowResumer{}, DNSOptions{UDP: UDPConfig{Loops: 1}})
			if err != nil {
				t.Skipf("cannot bind %s: %v", listen, err)
			}
			serveDNS(t, l)
			_, port, _ := net.SplitHostPort(l.Addr())
			var wg sync.WaitGroup
			errs := make(chan error, clients)
			for c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- askMany(net.JoinHostPort("127.0.0.1", port), c, perClient, inFlight)
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// askMany sends n queries with names of its own from one connected socket,
// keeping up to window in flight, and checks every answer: its ID, its
// question, the name the handler read and the client address it saw.
func askMany(addr string, client, n, window int) error {
	conn, err := net.Dial("udp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	self := conn.LocalAddr().String()
	want := map[uint16]string{}
	buf := make([]byte, 4096)
	sent, answered := 0, 0
	for answered < n {
		for sent < n && sent-answered < window {
			name := fmt.Sprintf("q%d-c%d.example.", sent, client)
			m := new(dns.Msg).SetQuestion(name, dns.TypeTXT)
			m.Id = uint16(sent)
			out, err := m.Pack()
			if err != nil {
				return err
			}
			if _, err := conn.Write(out); err != nil {
				return err
			}
			want[m.Id] = name
			sent++
		}
		_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		k, err := conn.Read(buf)
		if err != nil {
			return fmt.Errorf("client %d: %d of %d answered: %w", client, answered, n, err)
		}
		r := new(dns.Msg)
		if err := r.Unpack(buf[:k]); err != nil {
			return fmt.Errorf("client %d: %w", client, err)
		}
		name, ok := want[r.Id]
		if !ok {
			return fmt.Errorf("client %d: answer with unexpected ID %d", client, r.Id)
		}
		delete(want, r.Id)
		answered++
		if len(r.Question) != 1 || r.Question[0].Name != name || len(r.Answer) != 1 {
			return fmt.Errorf("client %d: ID %d asked %s, answer %v", client, r.Id, name, r)
		}
		txt := r.Answer[0].(*dns.TXT).Txt
		if len(txt) != 2 || txt[0] != name || txt[1] != self {
			return fmt.Errorf("client %d (%s): ID %d asked %s, the handler saw %v", client, self, r.Id, name, txt)
		}
	}
	return nil
}
