//go:build linux

// Command dnslatency sends DNS queries over UDP at a fixed rate and prints
// latency percentiles, which dnsperf (2.10) does not: it prints only the
// average. Queries come from a dnsperf-style file ("name TYPE" per line),
// taken in turn.
//
//	dnslatency -server 127.0.0.1:53 -queries allowed.txt -rate 40000 -duration 10s
//
// prints: sent answered lost qps p50_us p90_us p99_us p999_us max_us
//
// It measures the server, not itself: queries leave evenly spaced (query i
// at i/rate, never by time.Sleep, which sleeps a millisecond or more and so
// would send bursts that queue at the server), and an answer's arrival time
// is the kernel's receive timestamp (SO_TIMESTAMPNS), so time the tool
// spends sending before it reads does not count as the server's.
//
// -pace says how it waits for the next query's turn:
//   - spin (the default) busy-waits on the clock: the most exact spacing, but
//     it keeps its core busy, so run it on a core of its own
//     (bench/latency.sh pins it with taskset).
//   - sleep sleeps (nanosleep(2)) until the next query is due, on a locked
//     OS thread with a 1 ns timer slack, and reads answers once a
//     millisecond, so a query leaves some µs late at worst and most of the
//     core stays free for others (bench/miss.sh shares it with the fake
//     upstream, which a spinning sender would delay).
package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/sys/unix"
)

func main() {
	server := flag.String("server", "127.0.0.1:53", "address to query (ip:port)")
	file := flag.String("queries", "", "dnsperf-style query file: one \"name TYPE\" per line")
	rate := flag.Int("rate", 10000, "queries per second")
	duration := flag.Duration("duration", 10*time.Second, "how long to send")
	timeout := flag.Duration("timeout", time.Second, "an answer later than this counts as lost")
	pace := flag.String("pace", "spin", "how to wait for the next query's turn: spin (busy-wait, exact) or sleep (nanosleep, leaves the core to others)")
	flag.Parse()
	if *pace != "spin" && *pace != "sleep" {
		fmt.Fprintf(os.Stderr, "dnslatency: -pace %q: want spin or sleep\n", *pace)
		os.Exit(2)
	}
	queries, err := load(*file)
	if err == nil && len(queries) == 0 {
		err = fmt.Errorf("%s: no queries", *file)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "dnslatency:", err)
		os.Exit(2)
	}
	addr, err := netip.ParseAddrPort(*server)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dnslatency: -server:", err)
		os.Exit(2)
	}
	r, err := run(addr, queries, *rate, *duration, *timeout, *pace == "sleep")
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

// conn is one connected, non-blocking socket with its own ID space:
// sent[id] is the wall-clock time (ns) the query with that ID left, 0 when
// none is outstanding. Wall clock, because that is the kernel's timestamp's.
type conn struct {
	fd   int
	sent [1 << 16]int64
}

func dial(addr netip.AddrPort) (*conn, error) {
	family := unix.AF_INET
	var sa unix.Sockaddr = &unix.SockaddrInet4{Port: int(addr.Port()), Addr: addr.Addr().As4()}
	if addr.Addr().Is6() && !addr.Addr().Is4In6() {
		family = unix.AF_INET6
		sa = &unix.SockaddrInet6{Port: int(addr.Port()), Addr: addr.Addr().As16()}
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	// Answers wait in the socket while the tool sends; room for a second's worth.
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 8<<20)
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("SO_TIMESTAMPNS: %w", err)
	}
	if err := unix.Connect(fd, sa); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("connect %s: %w", addr, err)
	}
	return &conn{fd: fd}, nil
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

// run sends and receives on one goroutine: between sends it drains every
// socket without blocking, so nothing waits on the Go scheduler. With sleep
// it sleeps until the next query's turn instead of spinning.
func run(server netip.AddrPort, queries [][]byte, rate int, duration, timeout time.Duration, sleep bool) (result, error) {
	// Enough sockets that no ID is reused while its query may be in flight.
	n := max(1, rate*int(timeout/time.Millisecond)/1000/30000+1)
	conns := make([]*conn, n)
	for i := range conns {
		c, err := dial(server)
		if err != nil {
			return result{}, err
		}
		defer unix.Close(c.fd)
		conns[i] = c
	}
	var w *sleeper
	if sleep {
		var err error
		if w, err = newSleeper(); err != nil {
			return result{}, err
		}
		defer runtime.UnlockOSThread()
	}
	// Answers carry the kernel's timestamp, so reading them late costs
	// nothing but socket buffer: with sleep they are read once a
	// millisecond, not after every send, where most reads would find
	// nothing and cost a system call each.
	var drained time.Duration
	const drainEvery = time.Millisecond
	rx := receiver{buf: make([]byte, 65535), oob: make([]byte, 128), timeout: timeout}
	buf := make([]byte, 0, 512)
	epoch := time.Now()
	interval := float64(time.Second) / float64(rate)
	sent := 0
	for {
		now := time.Since(epoch)
		if now >= duration {
			break
		}
		for ; float64(sent)*interval <= float64(now); sent++ {
			c := conns[sent%len(conns)]
			id := uint16(sent / len(conns))
			buf = append(buf[:0], queries[sent%len(queries)]...)
			buf[0], buf[1] = byte(id>>8), byte(id)
			c.sent[id] = time.Now().UnixNano()
			if _, err := unix.Write(c.fd, buf); err != nil && !errors.Is(err, unix.EAGAIN) {
				return result{}, fmt.Errorf("send: %w", err)
			}
		}
		if w == nil || now-drained >= drainEvery {
			for _, c := range conns {
				rx.drain(c)
			}
			drained = now
		}
		if w != nil {
			w.sleep(time.Duration(float64(sent)*interval) - time.Since(epoch))
		}
	}
	elapsed := time.Since(epoch)
	for end := time.Now().Add(timeout); time.Now().Before(end); {
		for _, c := range conns {
			rx.drain(c)
		}
		time.Sleep(time.Millisecond) // the last answers: no hurry, the timestamps are the kernel's
	}
	slices.Sort(rx.lat)
	return result{sent: sent, answered: len(rx.lat), elapsed: elapsed, lat: rx.lat}, nil
}

type receiver struct {
	buf, oob []byte
	timeout  time.Duration
	lat      []time.Duration
}

// drain reads every answer waiting on c and records its latency.
func (r *receiver) drain(c *conn) {
	for {
		n, oobn, _, _, err := unix.Recvmsg(c.fd, r.buf, r.oob, unix.MSG_DONTWAIT)
		if err != nil {
			return // EAGAIN: nothing more waiting (or a refused send, seen as ECONNREFUSED: skip it)
		}
		if n < 12 {
			continue
		}
		at := arrival(r.oob[:oobn])
		id := uint16(r.buf[0])<<8 | uint16(r.buf[1])
		s := c.sent[id]
		c.sent[id] = 0
		if d := time.Duration(at - s); s != 0 && d <= r.timeout {
			r.lat = append(r.lat, d)
		}
	}
}

// arrival is the kernel's receive timestamp from the control messages, or
// now if there is none.
func arrival(oob []byte) int64 {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err == nil {
		for _, m := range msgs {
			if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SO_TIMESTAMPNS && len(m.Data) >= 16 {
				// struct timespec on 64-bit Linux: two native-endian int64s.
				sec := int64(binary.NativeEndian.Uint64(m.Data[0:8]))
				nsec := int64(binary.NativeEndian.Uint64(m.Data[8:16]))
				return sec*1e9 + nsec
			}
		}
	}
	return time.Now().UnixNano()
}
