package server

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/config"
	"github.com/cleandns/cleandns/internal/dnstest"
	"github.com/cleandns/cleandns/runstate"
)

// answerOf is the A answer a name gets over UDP: its addresses, or its
// rcode when it has none.
func answerOf(t *testing.T, addr, name string) string {
	t.Helper()
	r := ask(t, "udp", addr, name, dns.TypeA, true)
	var out []string
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok {
			out = append(out, a.A.String())
		}
	}
	if len(out) == 0 {
		return dns.RcodeToString[r.Rcode]
	}
	return strings.Join(out, ",")
}

// settingStep is one change of a console-settings test: do makes it
// (nil: reload the file as it is), wantErr is what a refusal must say
// (and then nothing is stored), want are answers after it.
type settingStep struct {
	name    string
	do      func(s *Server) (runstate.Change, error)
	wantErr []string
	want    map[string]string
}

func runSettingSteps(t *testing.T, s *Server, steps []settingStep) {
	t.Helper()
	addr := s.Addrs()[0]
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			before := len(s.Settings().Audit)
			var err error
			if st.do == nil {
				file := s.fileCfg.Load()
				err = s.Reload(func() (*config.Config, error) { return file, nil })
			} else {
				_, err = st.do(s)
			}
			switch {
			case len(st.wantErr) > 0 && err == nil:
				t.Fatal("accepted, want refused")
			case len(st.wantErr) == 0 && err != nil:
				t.Fatal(err)
			case err != nil:
				for _, w := range st.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not say %q", err, w)
					}
				}
				if got := len(s.Settings().Audit); got != before {
					t.Errorf("a refused change was stored: %d audit entries, had %d", got, before)
				}
			}
			for name, want := range st.want {
				if got := answerOf(t, addr, name); got != want {
					t.Errorf("%s answers %s, want %s", name, got, want)
				}
			}
		})
	}
}

// TestConsoleUpstreamsOverTheFile: upstreams set in the console replace
// the file's at once, survive a reload, show their origin, and go back to
// the file's when reset; a bad address or removing the last upstream is
// refused and stores nothing.
func TestConsoleUpstreamsOverTheFile(t *testing.T) {
	upA := dnstest.NewServer(t, dnstest.A("192.0.2.1"))
	upB := dnstest.NewServer(t, dnstest.A("192.0.2.2"))
	s := boot(t, upstreamYAML(upA))
	by := "admin@test"
	runSettingSteps(t, s, []settingStep{
		{name: "add B", do: func(s *Server) (runstate.Change, error) { return s.AddUpstream(upB, by) },
			want: map[string]string{"one.example.": "192.0.2.1"}},
		{name: "remove A: B answers", do: func(s *Server) (runstate.Change, error) { return s.RemoveUpstream(upA, by) },
			want: map[string]string{"two.example.": "192.0.2.2"}},
		{name: "a reload keeps the console's upstreams", want: map[string]string{"three.example.": "192.0.2.2"}},
		{name: "a bad address is refused", do: func(s *Server) (runstate.Change, error) { return s.AddUpstream("tls://dot.example", by) },
			wantErr: []string{"upstreams.servers[1]", `"tls://dot.example"`}, want: map[string]string{"four.example.": "192.0.2.2"}},
		{name: "the same one twice is refused", do: func(s *Server) (runstate.Change, error) { return s.AddUpstream(upB, by) },
			wantErr: []string{"already an upstream"}},
		{name: "the last one cannot go", do: func(s *Server) (runstate.Change, error) { return s.RemoveUpstream(upB, by) },
			wantErr: []string{"upstreams.servers", "at least one"}, want: map[string]string{"five.example.": "192.0.2.2"}},
		{name: "one that is not there", do: func(s *Server) (runstate.Change, error) { return s.RemoveUpstream("192.0.2.99", by) },
			wantErr: []string{"not an upstream"}},
	})
	if got := s.Settings().Upstreams; len(got) != 1 || got[0] != upB {
		t.Errorf("stored upstreams %v, want [%s]", got, upB)
	}
	st := adminStatus{s}.Status(context.Background())
	if len(st.Upstreams) != 1 || st.Upstreams[0].Name != upB || st.Upstreams[0].Origin != "console" {
		t.Errorf("status upstreams %+v, want %s from the console", st.Upstreams, upB)
	}
	if ex := s.Explain("six.example", netip.Addr{}); ex.UpstreamsOrigin != "console" || !strings.Contains(ex.Text, "upstreams set in the console") {
		t.Errorf("explain %+v does not say the upstreams are the console's", ex)
	}
	if y, err := s.ExportSettings(); err != nil || !strings.Contains(string(y), "upstreams:\n  servers:\n    - "+upB) {
		t.Errorf("export: %v\n%s", err, y)
	}
	audit := s.Settings().Audit
	if last := audit[len(audit)-1]; last.What != "upstreams" || last.OldValue != upA+", "+upB || last.NewValue != upB || last.By != by {
		t.Errorf("audit %+v", last)
	}
	runSettingSteps(t, s, []settingStep{
		{name: "back to the file's", do: func(s *Server) (runstate.Change, error) { return s.RemoveUpstream("", by) },
			want: map[string]string{"seven.example.": "192.0.2.1"}},
	})
	runSettingSteps(t, s, []settingStep{
		{name: "back to the file's twice is refused", do: func(s *Server) (runstate.Change, error) { return s.RemoveUpstream("", by) },
			wantErr: []string{"the file's are in effect already"}},
	})
	if got := s.Settings(); got.Upstreams != nil || !got.Empty() {
		t.Errorf("settings after going back to the file: %+v", got)
	}
	if st := (adminStatus{s}).Status(context.Background()); st.Upstreams[0].Origin != "" {
		t.Errorf("status %+v: the file's upstream shown as the console's", st.Upstreams)
	}
}

// TestConsoleLocalRecordsOverTheFile: records made in the console answer
// at once, replace the file's records of the same name (the console wins),
// survive a reload, show their origin, and the file's answer again when
// they are removed; a bad record is refused with its field and stores
// nothing.
func TestConsoleLocalRecordsOverTheFile(t *testing.T) {
	up := dnstest.NewServer(t, dnstest.A("192.0.2.1"))
	s := boot(t, upstreamYAML(up)+`local_records:
  records:
    - {name: nas.home.arpa, type: A, value: 192.168.1.10}
    - {name: files.home.arpa, type: CNAME, value: nas.home.arpa}
`)
	by := "admin@test"
	add := func(name, typ, value string) func(s *Server) (runstate.Change, error) {
		return func(s *Server) (runstate.Change, error) {
			return s.AddLocalRecord(runstate.LocalRecord{Name: name, Type: typ, Value: value}, by)
		}
	}
	remove := func(name, typ string) func(s *Server) (runstate.Change, error) {
		return func(s *Server) (runstate.Change, error) {
			return s.RemoveLocalRecord(runstate.LocalRecord{Name: name, Type: typ}, by)
		}
	}
	runSettingSteps(t, s, []settingStep{
		{name: "a new name", do: add("Printer.home.arpa.", "a", "192.168.1.50"),
			want: map[string]string{"printer.home.arpa.": "192.168.1.50", "nas.home.arpa.": "192.168.1.10"}},
		{name: "the console wins over the file's name", do: add("nas.home.arpa", "A", "192.168.1.20"),
			want: map[string]string{"nas.home.arpa.": "192.168.1.20", "files.home.arpa.": "192.168.1.20"}},
		{name: "a reload keeps them", want: map[string]string{"nas.home.arpa.": "192.168.1.20", "printer.home.arpa.": "192.168.1.50"}},
		{name: "a bad address is refused", do: add("tv.home.arpa", "A", "not-an-ip"),
			wantErr: []string{"tv.home.arpa", "value", `"not-an-ip" is not an IP address`}, want: map[string]string{"tv.home.arpa.": "NXDOMAIN"}},
		{name: "a bad type is refused", do: add("tv.home.arpa", "NS", "ns.example."), wantErr: []string{"type", `"NS"`}},
		{name: "a bad name is refused", do: add("bad..name", "A", "192.168.1.7"), wantErr: []string{"name", `"bad..name"`}},
		{name: "a CNAME beside an address is refused", do: add("nas.home.arpa", "CNAME", "files.home.arpa"),
			wantErr: []string{"nas.home.arpa", "CNAME"}, want: map[string]string{"nas.home.arpa.": "192.168.1.20"}},
		{name: "the file's records cannot be removed here", do: remove("files.home.arpa", ""),
			wantErr: []string{"not a record made in the console"}, want: map[string]string{"files.home.arpa.": "192.168.1.20"}},
	})
	ex := s.Explain("printer.home.arpa", netip.Addr{})
	if ex.Answer != "local" || ex.Origin != "console" || !strings.Contains(ex.Text, "made in the console") {
		t.Errorf("explain printer: %+v", ex)
	}
	if ex := s.Explain("files.home.arpa", netip.Addr{}); ex.Origin != "" {
		t.Errorf("explain files (the file's CNAME): %+v", ex)
	}
	origins := map[string]string{}
	for _, r := range (adminStatus{s}).Status(context.Background()).LocalRecords {
		origins[r.Name+" "+r.Value] = r.Origin
	}
	if want := map[string]string{"nas.home.arpa 192.168.1.20": "console", "printer.home.arpa 192.168.1.50": "console",
		"files.home.arpa nas.home.arpa": ""}; len(origins) != len(want) || origins["nas.home.arpa 192.168.1.20"] != "console" ||
		origins["printer.home.arpa 192.168.1.50"] != "console" || origins["files.home.arpa nas.home.arpa"] != "" {
		t.Errorf("status records %v, want %v (the file's nas record replaced)", origins, want)
	}
	y, err := s.ExportSettings()
	if err != nil || !strings.Contains(string(y), "local_records:") || !strings.Contains(string(y), "value: 192.168.1.50") ||
		strings.Contains(string(y), "192.168.1.10") {
		t.Errorf("export: %v\n%s", err, y)
	}
	audit := s.Settings().Audit
	if a := audit[1]; a.What != "local_record" || a.OldValue != "nas.home.arpa A 192.168.1.10" || a.NewValue != "nas.home.arpa A 192.168.1.20" {
		t.Errorf("audit of the override: %+v", a)
	}
	runSettingSteps(t, s, []settingStep{
		{name: "removed: the file's record answers again", do: remove("nas.home.arpa", "A"),
			want: map[string]string{"nas.home.arpa.": "192.168.1.10", "files.home.arpa.": "192.168.1.10"}},
		{name: "removed: the name is not local any more (home.arpa is special-use: NXDOMAIN)", do: remove("printer.home.arpa", ""),
			want: map[string]string{"printer.home.arpa.": "NXDOMAIN"}},
		{name: "removed twice is refused", do: remove("printer.home.arpa", ""), wantErr: []string{"not a record made in the console"}},
	})
	if got := s.Settings(); !got.Empty() {
		t.Errorf("settings after removing every record: %+v", got)
	}
}
