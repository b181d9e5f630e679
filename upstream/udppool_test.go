package upstream

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/internal/dnstest"
	"github.com/cleandns/cleandns/internal/fakeclock"
)

// portRecorder is an upstream handler that answers 192.0.2.1 and records
// the source port and ID of every query.
type portRecorder struct {
	mu    sync.Mutex
	ports map[int]int // source port → queries
	ids   map[uint16]bool
}

func newPortRecorder() *portRecorder {
	return &portRecorder{ports: map[int]int{}, ids: map[uint16]bool{}}
}

func (p *portRecorder) serve(w dns.ResponseWriter, r *dns.Msg) {
	p.mu.Lock()
	p.ports[w.RemoteAddr().(*net.UDPAddr).Port]++
	p.ids[r.Id] = true
	p.mu.Unlock()
	_ = w.WriteMsg(dnstest.Reply(r, net.ParseIP("192.0.2.1")))
}

func (p *portRecorder) seen() (ports map[int]int, ids int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ports = map[int]int{}
	for k, v := range p.ports {
		ports[k] = v
	}
	return ports, len(p.ids)
}

// TestUDPPortsSpreadOverPool checks RFC 5452's entropy with pooled sockets:
// 10,000 queries use every socket of the pool about equally, each with a
// random ID.
func TestUDPPortsSpreadOverPool(t *testing.T) {
	rec := newPortRecorder()
	addr := dnstest.NewServer(t, rec.serve)
	f := newTestForwarder(t, Config{Servers: []string{addr}}, nil, Deps{})
	const n = 10000
	for range n {
		mustExchange(t, f, "example.com")
	}
	ports, ids := rec.seen()
	// Expected distinct IDs of 10,000 drawn from 65,536: about 9,270.
	if ids < 9000 {
		t.Errorf("%d queries used %d distinct IDs, want about 9,270 (random)", n, ids)
	}
	if len(ports) != udpPoolSize {
		t.Fatalf("%d queries used %d source ports, want the pool's %d", n, len(ports), udpPoolSize)
	}
	mean := n / udpPoolSize
	for port, c := range ports {
		// A binomial count of 10,000 over 32 has a deviation of about 17.
		if c < mean*2/3 || c > mean*4/3 {
			t.Errorf("port %d carried %d queries, want about %d (a random socket per query)", port, c, mean)
		}
	}
}

// TestUDPPortsRotate checks that sockets are replaced over time: after
// udpRotateAge every socket used gets a new port.
func TestUDPPortsRotate(t *testing.T) {
	rec := newPortRecorder()
	addr := dnstest.NewServer(t, rec.serve)
	clock := fakeclock.New(time.Unix(1e9, 0))
	f := newTestForwarder(t, Config{Servers: []string{addr}}, nil, Deps{Now: clock.Now})
	for range 300 {
		mustExchange(t, f, "example.com")
	}
	before, _ := rec.seen()
	clock.Advance(udpRotateAge)
	for range 300 {
		mustExchange(t, f, "example.com")
	}
	after, _ := rec.seen()
	fresh := 0
	for port := range after {
		if before[port] == 0 {
			fresh++
		}
	}
	// Each socket takes one more query once due, then its successor the rest.
	if fresh < udpPoolSize*3/4 {
		t.Errorf("after %v, %d new source ports; want most of the pool's %d replaced", udpRotateAge, fresh, udpPoolSize)
	}
	p := f.udp.pools[netip.MustParseAddrPort(addr)]
	open := 0
	for i := range p.slots {
		if s := p.slots[i].Load(); s != nil && before[int(s.port)] == 0 {
			open++
		}
	}
	if open < udpPoolSize*3/4 {
		t.Errorf("%d slots hold a new socket, want most of %d", open, udpPoolSize)
	}
}

// TestUDPSpoofToEveryPooledPort sends, before each real answer, a forged
// reply with the query's ID and question to every socket of the pool from
// another port: none may be taken.
func TestUDPSpoofToEveryPooledPort(t *testing.T) {
	spoofer, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer spoofer.Close()
	var ports sync.Map // pooled port → true, filled once the pool is open
	addr := dnstest.NewServer(t, func(w dns.ResponseWriter, r *dns.Msg) {
		out, _ := dnstest.Reply(r, net.ParseIP("203.0.113.66")).Pack()
		ports.Range(func(k, _ any) bool {
			_, _ = spoofer.WriteTo(out, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: k.(int)})
			return true
		})
		time.Sleep(2 * time.Millisecond)
		_ = w.WriteMsg(dnstest.Reply(r, net.ParseIP("192.0.2.1")))
	})
	f := newTestForwarder(t, Config{Servers: []string{addr}}, nil, Deps{})
	mustExchange(t, f, "example.com") // makes the pool
	p := f.udp.pools[netip.MustParseAddrPort(addr)]
	for i := range p.slots {
		s, err := p.open(i, nil)
		if err != nil {
			t.Fatal(err)
		}
		ports.Store(int(s.port), true)
	}
	for range 200 {
		if ip, _ := mustExchange(t, f, "example.com"); ip != "192.0.2.1" {
			t.Fatalf("took the forged answer %s", ip)
		}
	}
}

// TestUDPPoolCloseLetsInFlightFinish checks that Close refuses new queries
// but lets one in flight get its answer (shutdown drains), and that the
// pool's sockets are closed once idle.
func TestUDPPoolCloseLetsInFlightFinish(t *testing.T) {
	addr := dnstest.NewServer(t, dnstest.A("192.0.2.1"), dnstest.Delay(200*time.Millisecond))
	f := newTestForwarder(t, Config{Servers: []string{addr}}, nil, Deps{})
	errc := make(chan error, 1)
	go func() {
		_, _, err := f.Exchange(context.Background(), query("example.com"))
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond) // the query waits on the upstream
	_ = f.Close()
	if _, _, err := f.Exchange(context.Background(), query("example.com")); !errors.Is(err, errPoolClosed) {
		t.Errorf("a query after Close: %v, want %v", err, errPoolClosed)
	}
	if err := <-errc; err != nil {
		t.Errorf("the query in flight at Close: %v", err)
	}
	p := f.udp.pools[netip.MustParseAddrPort(addr)]
	for i := range p.slots {
		if p.slots[i].Load() != nil {
			t.Error("a socket is still in its slot after Close")
		}
	}
}
