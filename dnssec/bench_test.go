package dnssec

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/cleandns/cleandns/internal/signedtest"
	"github.com/miekg/dns"
)

// BenchmarkValidate measures the CPU a validated cache miss adds: judging
// one reply from BIND-signed zones with the key sets cached (warm, the
// common case), and with the whole chain to fetch (cold: root, tld and
// zone keys through a loopback named, a new validator each time).
func BenchmarkValidate(b *testing.B) {
	env := signedtest.Start(b)
	anchors, err := LoadAnchors(env.AnchorFile)
	if err != nil {
		b.Fatal(err)
	}
	client := &dns.Client{Timeout: 2 * time.Second}
	exchange := func(ctx context.Context, q *dns.Msg) (*dns.Msg, error) {
		r, _, err := client.ExchangeContext(ctx, q, env.Addr)
		return r, err
	}
	ask := func(name string, qtype uint16) *dns.Msg {
		q := new(dns.Msg).SetQuestion(name, qtype)
		q.CheckingDisabled = true
		q.SetEdns0(1232, true)
		r, err := exchange(context.Background(), q)
		if err != nil {
			b.Fatal(err)
		}
		return r
	}
	for _, c := range []struct {
		name  string
		qname string
		qtype uint16
		want  State
	}{
		{"positive/ED25519", "www.secure.tld.", dns.TypeA, Secure},
		{"positive/ECDSAP256", "www.rollover.tld.", dns.TypeA, Secure},
		{"positive/RSASHA512", "www.optout.tld.", dns.TypeA, Secure},
		{"NXDOMAIN/NSEC3", "nope.nsec3.tld.", dns.TypeA, Secure},
		{"insecure", "www.insecure.tld.", dns.TypeA, Insecure},
	} {
		reply := ask(c.qname, c.qtype)
		b.Run("warm/"+c.name, func(b *testing.B) {
			v, _ := New(Deps{Exchange: exchange, Anchors: anchors})
			if got := v.Validate(context.Background(), reply); got.State != c.want {
				b.Fatalf("%v (%s)", got.State, got.Reason)
			}
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				v.Validate(context.Background(), reply)
			}
			reportCPU(b, start)
		})
	}
	reply := ask("www.secure.tld.", dns.TypeA)
	b.Run("cold/positive/ED25519", func(b *testing.B) {
		b.ReportAllocs()
		start := cpuTime()
		defer reportCPU(b, start)
		for b.Loop() {
			v, _ := New(Deps{Exchange: exchange, Anchors: anchors})
			if got := v.Validate(context.Background(), reply); got.State != Secure {
				b.Fatalf("%v (%s)", got.State, got.Reason)
			}
		}
	})
}

// cpuTime is the process's user and system CPU time: on a shared machine
// wall time per operation says more about the neighbours than the code.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((cpuTime()-start).Microseconds())/float64(b.N), "cpu-us/op")
}
