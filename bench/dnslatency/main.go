// Command dnslatency sends DNS queries over UDP at a fixed rate and prints
// latency percentiles, which dnsperf (2.10) does not: it prints only the
// average. Queries come from a dnsperf-style file ("name TYPE" per line),
// taken in turn.
//
//	dnslatency -server 127.0.0.1:53 -queries allowed.txt -rate 40000 -duration 10s
//
// prints: sent answered lost qps p50_us p90_us p99_us p999_us max_us
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

func main() {
	server := flag.String("server", "127.0.0.1:53", "address to query")
	file := flag.String("queries", "", "dnsperf-style query file: one \"name TYPE\" per line")
	rate := flag.Int("rate", 10000, "queries per second")
	duration := flag.Duration("duration", 10*time.Second, "how long to send")
	timeout := flag.Duration("timeout", time.Second, "an answer later than this counts as lost")
	flag.Parse()
	queries, err := load(*file)
	if err == nil && len(queries) == 0 {
		err = fmt.Errorf("%s: no queries", *file)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "dnslatency:", err)
		os.Exit(2)
	}
	r, err := run(*server, queries, *rate, *duration, *timeout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dnslatency:", err)
		os.Exit(1)
	}
	fmt.Println(r)
}

// load reads the query file and packs each query once (ID 0).
func load(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		qtype := dns.TypeA
		if len(fields) > 1 {
			t, ok := dns.StringToType[strings.ToUpper(fields[1])]
			if !ok {
				return nil, fmt.Errorf("%s: unknown type %q", path, fields[1])
			}
			qtype = t
		}
		b, err := new(dns.Msg).SetQuestion(dns.Fqdn(fields[0]), qtype).Pack()
		if err != nil {
			return nil, fmt.Errorf("%s: %q: %w", path, fields[0], err)
		}
		out = append(out, b)
	}
	return out, sc.Err()
}

// conn is one socket with its own ID space: sent[id] is when the query
// with that ID left, 0 when none is outstanding.
type conn struct {
	c    *net.UDPConn
	sent [1 << 16]atomic.Int64
}

type result struct {
	sent, answered int
	elapsed        time.Duration
	lat            []time.Duration
}

func (r result) String() string {
	p := func(q float64) int64 {
		if len(r.lat) == 0 {
			return 0
		}
		return r.lat[min(len(r.lat)-1, int(q*float64(len(r.lat))))].Microseconds()
	}
	return fmt.Sprintf("%d %d %d %.0f %d %d %d %d %d", r.sent, r.answered, r.sent-r.answered,
		float64(r.answered)/r.elapsed.Seconds(), p(0.50), p(0.90), p(0.99), p(0.999), p(1))
}

func run(server string, queries [][]byte, rate int, duration, timeout time.Duration) (result, error) {
	// Enough sockets that no ID is reused while its query may be in flight.
	n := max(1, rate*int(timeout/time.Millisecond)/1000/30000+1)
	conns := make([]*conn, n)
	for i := range conns {
		c, err := net.Dial("udp", server)
		if err != nil {
			return result{}, err
		}
		conns[i] = &conn{c: c.(*net.UDPConn)}
	}
	epoch := time.Now()
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := receive(c, epoch, timeout)
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}()
	}
	sent := send(conns, queries, rate, duration, epoch)
	elapsed := time.Since(epoch)
	time.Sleep(timeout) // the last answers
	for _, c := range conns {
		_ = c.c.SetReadDeadline(time.Now())
	}
	wg.Wait()
	slices.Sort(lat)
	return result{sent: sent, answered: len(lat), elapsed: elapsed, lat: lat}, nil
}

// send paces the queries: every tick, as many as the rate says are due.
func send(conns []*conn, queries [][]byte, rate int, duration time.Duration, epoch time.Time) int {
	buf := make([]byte, 0, 512)
	sent := 0
	for {
		now := time.Since(epoch)
		if now >= duration {
			return sent
		}
		due := int(now.Seconds() * float64(rate))
		for ; sent < due; sent++ {
			c := conns[sent%len(conns)]
			id := uint16(sent / len(conns))
			buf = append(buf[:0], queries[sent%len(queries)]...)
			buf[0], buf[1] = byte(id>>8), byte(id)
			c.sent[id].Store(int64(time.Since(epoch)) + 1)
			_, _ = c.c.Write(buf)
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// receive records the latency of every answer that comes within timeout.
func receive(c *conn, epoch time.Time, timeout time.Duration) []time.Duration {
	var lat []time.Duration
	buf := make([]byte, 65535)
	for {
		n, err := c.c.Read(buf)
		if err != nil {
			return lat
		}
		if n < 12 {
			continue
		}
		at := int64(time.Since(epoch))
		id := uint16(buf[0])<<8 | uint16(buf[1])
		if s := c.sent[id].Swap(0); s != 0 && time.Duration(at-(s-1)) <= timeout {
			lat = append(lat, time.Duration(at-(s-1)))
		}
	}
}
