package server

import (
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/internal/dnstest"
	"github.com/cleandns/cleandns/runstate"
)

// TestConsoleRecordLoops: a console record that closes a CNAME loop, with
// itself or with the file's records, is refused and stores nothing; the
// names answer as before.
func TestConsoleRecordLoops(t *testing.T) {
	up := dnstest.NewServer(t, dnstest.A("192.0.2.1"))
	s := boot(t, upstreamYAML(up)+`local_records:
  records:
    - {name: nas.home.arpa, type: A, value: 192.168.1.10}
    - {name: files.home.arpa, type: CNAME, value: nas.home.arpa}
`)
	add := func(name, typ, value string) func(s *Server) (runstate.Change, error) {
		return func(s *Server) (runstate.Change, error) {
			return s.AddLocalRecord(runstate.LocalRecord{Name: name, Type: typ, Value: value}, "admin@test")
		}
	}
	same := map[string]string{"nas.home.arpa.": "192.168.1.10", "files.home.arpa.": "192.168.1.10"}
	runSettingSteps(t, s, []settingStep{
		{name: "over the file's name, back to the file's CNAME", do: add("nas.home.arpa", "CNAME", "files.home.arpa"),
			wantErr: []string{"CNAME loop", "files.home.arpa -> nas.home.arpa -> files.home.arpa"}, want: same},
		{name: "to itself", do: add("self.home.arpa", "CNAME", "self.home.arpa"),
			wantErr: []string{"CNAME loop", "self.home.arpa -> self.home.arpa"}, want: map[string]string{"self.home.arpa.": "NXDOMAIN"}},
		{name: "a wildcard onto a name under it", do: add("*.lab.home.arpa", "CNAME", "x.lab.home.arpa"),
			wantErr: []string{"CNAME loop"}, want: map[string]string{"y.lab.home.arpa.": "NXDOMAIN"}},
		{name: "a chain that ends is fine", do: add("media.home.arpa", "CNAME", "files.home.arpa"),
			want: map[string]string{"media.home.arpa.": "192.168.1.10"}},
	})
	if got := len(s.Settings().LocalRecords); got != 1 {
		t.Errorf("%d console records stored, want 1", got)
	}
}

// TestConsoleUpstreamLoop: an upstream added in the console that forwards
// back to this server (a loop through another resolver, which the listen
// address check cannot see) is found by the start-up probe, run for it,
// and refused; the upstreams in effect keep answering.
func TestConsoleUpstreamLoop(t *testing.T) {
	up := dnstest.NewServer(t, dnstest.A("192.0.2.1"))
	s := boot(t, upstreamYAML(up))
	self := s.Addrs()[0]
	// A forwarder to cleandns, as a router or another resolver might be.
	back := dnstest.NewServer(t, func(w dns.ResponseWriter, r *dns.Msg) {
		in, _, err := (&dns.Client{Timeout: time.Second}).Exchange(r, self)
		if err != nil {
			in = new(dns.Msg).SetRcode(r, dns.RcodeServerFailure)
		}
		_ = w.WriteMsg(in)
	})
	good := dnstest.NewServer(t, dnstest.A("192.0.2.3"))
	runSettingSteps(t, s, []settingStep{
		{name: "an upstream that forwards back", do: func(s *Server) (runstate.Change, error) { return s.AddUpstream(back, "admin@test") },
			wantErr: []string{back, "loop"}, want: map[string]string{"www.example.": "192.0.2.1"}},
		{name: "an upstream that answers", do: func(s *Server) (runstate.Change, error) { return s.AddUpstream(good, "admin@test") }},
	})
	if got := s.Settings().Upstreams; len(got) != 2 || got[1] != good {
		t.Errorf("stored upstreams %v, want [%s %s]", got, up, good)
	}
}

// TestLoopThroughSecondInstance: the upstream added on one cleandns is a
// second cleandns that forwards to the first, the DHCP pair wired in a
// circle. The second passes the first's probe on instead of answering it,
// so the loop is found and the upstream refused.
func TestLoopThroughSecondInstance(t *testing.T) {
	up := dnstest.NewServer(t, dnstest.A("192.0.2.1"))
	first := boot(t, upstreamYAML(up))
	second := boot(t, upstreamYAML(first.Addrs()[0]))
	if got := answerOf(t, second.Addrs()[0], "www.example."); got != "192.0.2.1" {
		t.Fatalf("the second answers %s through the first, want 192.0.2.1", got)
	}
	runSettingSteps(t, first, []settingStep{
		{name: "the second instance as an upstream", do: func(s *Server) (runstate.Change, error) { return s.AddUpstream(second.Addrs()[0], "admin@test") },
			wantErr: []string{second.Addrs()[0], "loop"}, want: map[string]string{"www.example.": "192.0.2.1"}},
	})
}
