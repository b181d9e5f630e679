package upstream

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/internal/dnstest"
)

func TestListensOn(t *testing.T) {
	local := []netip.Addr{netip.MustParseAddr("192.168.1.10"), netip.MustParseAddr("fd00::10")}
	tests := []struct {
		listen, target string
		want           bool
	}{
		{"127.0.0.1:53", "127.0.0.1:53", true},
		{"127.0.0.1:53", "127.0.0.1:5353", false},
		{"127.0.0.1:53", "127.0.0.2:53", false},
		{"0.0.0.0:53", "127.0.0.1:53", true},
		{"0.0.0.0:53", "192.168.1.10:53", true},
		{"0.0.0.0:53", "192.168.1.11:53", false},
		{"[::]:53", "127.0.0.1:53", true},
		{"[::]:53", "[fd00::10]:53", true},
		{":53", "192.168.1.10:53", true},
		{"[::1]:53", "[::1]:53", true},
		{"localhost:53", "127.0.0.1:53", true},
		{"0.0.0.0:53", "9.9.9.9:53", false},
	}
	for _, tt := range tests {
		t.Run(tt.listen+"→"+tt.target, func(t *testing.T) {
			if got := listensOn(tt.listen, netip.MustParseAddrPort(tt.target), local); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCheckSelfRejectsForwardingToItself(t *testing.T) {
	f := newTestForwarder(t, Config{Servers: []string{"9.9.9.9", "127.0.0.1:5353"}, Bootstrap: []string{"127.0.0.1:5353"}},
		[]Zone{{Zone: "corp.example", Servers: []string{"tcp://127.0.0.1:53"}}}, Deps{})
	if err := f.CheckSelf([]string{"127.0.0.1:5300"}); err != nil {
		t.Errorf("no overlap: %v", err)
	}
	err := f.CheckSelf([]string{"127.0.0.1:5353", "[::]:53"})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{`upstream "127.0.0.1:5353"`, `bootstrap "127.0.0.1:5353"`, `"tcp://127.0.0.1:53"`, `"[::]:53"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

// TestProbeLoop: "self" plays cleandns (it answers probes locally after
// telling the detector), one upstream forwards everything to self (a loop),
// the other answers NXDOMAIN itself.
func TestProbeLoop(t *testing.T) {
	d := NewLoopDetector()
	self := dnstest.NewServer(t, func(w dns.ResponseWriter, r *dns.Msg) {
		if !d.Observe(r.Question[0].Name) {
			t.Errorf("self got a non-probe query %s", r.Question[0].Name)
		}
		_ = w.WriteMsg(new(dns.Msg).SetRcode(r, dns.RcodeNameError))
	})
	looping := dnstest.NewServer(t, func(w dns.ResponseWriter, r *dns.Msg) {
		r.Question[0].Name = strings.ToUpper(r.Question[0].Name) // 0x20 case randomisation
		reply, err := dns.Exchange(r, self)
		if err != nil {
			return
		}
		_ = w.WriteMsg(reply)
	})
	clean := dnstest.NewServer(t, nil, dnstest.Rcode(dns.RcodeNameError))
	m := NewMetrics()
	f := newTestForwarder(t, Config{Servers: []string{clean, looping}}, nil, Deps{Metrics: m})
	loops := f.ProbeLoop(context.Background(), d)
	if len(loops) != 1 || loops[0] != looping {
		t.Errorf("loops = %v, want [%s]", loops, looping)
	}
	if got := value(t, m.Loops); got != 1 {
		t.Errorf("loops metric = %v, want 1", got)
	}
}

func TestLoopDetectorObserve(t *testing.T) {
	d := NewLoopDetector()
	for _, tt := range []struct {
		name string
		want bool
	}{
		{"abc.loop-check.cleandns.invalid.", true},
		{"ABC.Loop-Check.CleanDNS.invalid", true},
		{"loop-check.cleandns.invalid.", true},
		{"cleandns.invalid.", false},
		{"example.com.", false},
	} {
		if got := d.Observe(tt.name); got != tt.want {
			t.Errorf("Observe(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
