package upstream

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

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

// TestLoopDetectorObserve: which names the server answers itself. Its own
// probes and the zone's bare name always; another instance's probe the
// second time within a minute, not the first (it is forwarded, so a loop
// through both reaches its sender); past the cap on those, every new one.
func TestLoopDetectorObserve(t *testing.T) {
	d := NewLoopDetector()
	now := time.Unix(1_700_000_000, 0)
	d.now = func() time.Time { return now }
	own := d.issue("192.0.2.53:53")
	for _, tt := range []struct {
		name  string
		later time.Duration // the clock moves on this much first
		want  bool
	}{
		{name: "example.com.", want: false},
		{name: "cleandns.invalid.", want: false},
		{name: "loop-check.cleandns.invalid.", want: true},
		{name: own, want: true},
		{name: strings.ToUpper(own), want: true},
		{name: "abc.loop-check.cleandns.invalid.", want: false},
		{name: "ABC.Loop-Check.CleanDNS.invalid", want: true},
		{name: "abc.loop-check.cleandns.invalid.", later: 2 * time.Minute, want: false},
	} {
		now = now.Add(tt.later)
		if got := d.Observe(tt.name); got != tt.want {
			t.Errorf("Observe(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
	if !d.came("192.0.2.53:53") {
		t.Error("our own probe was not recorded as come back")
	}
	for i := range maxPassedProbes {
		d.Observe(fmt.Sprintf("x%d.%s", i, LoopProbeZone))
	}
	if !d.Observe("one-too-many." + LoopProbeZone) {
		t.Error("a probe past the cap was passed on")
	}
	now = now.Add(2 * time.Minute)
	if d.Observe("after-they-aged." + LoopProbeZone) {
		t.Error("a probe after the others aged was answered here, want passed on")
	}
}
