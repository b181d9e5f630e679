package server

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/cleandns/cleandns/config"
	"github.com/cleandns/cleandns/internal/dnstest"
	"github.com/cleandns/cleandns/runstate"
)

// TestConsoleSettingsLimits: the console cannot grow the settings document
// without bound: past runstate.MaxLocalRecords records, MaxUpstreams
// upstreams or MaxListChanges list switches a change is refused with the
// limit, nothing is stored and what was there keeps answering; an audit
// value is clipped; and the document stays under MaxSettingsBytes.
func TestConsoleSettingsLimits(t *testing.T) {
	up := dnstest.NewServer(t, dnstest.A("192.0.2.1"))
	long := strings.Repeat("x", 1000)
	// Full to each limit, as many changes would leave it (made one by
	// one, each a reload, they would take minutes).
	full := &runstate.Settings{Lists: map[string]runstate.ListChange{}}
	for i := range runstate.MaxLocalRecords {
		full.LocalRecords = append(full.LocalRecords, runstate.LocalRecord{Name: "big.home.arpa", Type: "TXT", Value: fmt.Sprintf("%d %s", i, long)})
	}
	full.Upstreams = []string{up}
	for i := 1; len(full.Upstreams) < runstate.MaxUpstreams; i++ {
		full.Upstreams = append(full.Upstreams, fmt.Sprintf("192.0.2.%d", i))
	}
	var ch runstate.ListChange
	for i := range runstate.MaxListChanges {
		if i < 60 { // within the 64 distinct lists a group may have
			ch.Add = append(ch.Add, fmt.Sprintf("/nonexistent/list-%d.txt", i))
		} else {
			ch.Remove = append(ch.Remove, fmt.Sprintf("/nonexistent/file-list-%d.txt", i))
		}
	}
	full.Lists["default"] = ch
	doc, err := json.Marshal(full)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(config.Source{Name: "test.yaml", Data: []byte(upstreamYAML(up))},
		config.Overrides{Listen: []string{"127.0.0.1:0"}, HTTP: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTP.AllowFile = filepath.Join(t.TempDir(), "allow.json")
	if err := os.WriteFile(settingsFile(cfg), doc, 0o600); err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.ErrorLevel)
	s := bootDeps(t, cfg, Deps{Version: "test", Logger: zap.New(core)})
	for _, e := range logs.All() {
		t.Logf("%s %v", e.Message, e.ContextMap())
	}
	if got := answerOf(t, s.Addrs()[0], "www.example."); got != "192.0.2.1" {
		t.Fatalf("the full settings do not serve: www.example answers %s", got)
	}
	if got := recordsOf(s.current().cfg, "big.home.arpa"); strings.Count(got, ";") != runstate.MaxLocalRecords-1 {
		t.Fatalf("the full settings do not serve: big.home.arpa has %d records", strings.Count(got, ";")+1)
	}
	by := "admin@test"
	runSettingSteps(t, s, []settingStep{
		{name: "one record too many", do: func(s *Server) (runstate.Change, error) {
			return s.AddLocalRecord(runstate.LocalRecord{Name: "tv.home.arpa", Type: "A", Value: "192.168.1.60"}, by)
		}, wantErr: []string{"local records", fmt.Sprint(runstate.MaxLocalRecords)}, want: map[string]string{"tv.home.arpa.": "NXDOMAIN"}},
		{name: "one upstream too many", do: func(s *Server) (runstate.Change, error) { return s.AddUpstream("198.51.100.1", by) },
			wantErr: []string{"upstreams", fmt.Sprint(runstate.MaxUpstreams)}},
		{name: "one list too many", do: func(s *Server) (runstate.Change, error) {
			return s.SetList("default", "/nonexistent/one-more.txt", true, by)
		}, wantErr: []string{"lists", fmt.Sprint(runstate.MaxListChanges)}},
		{name: "a record replaced (same name, type and value) is no new record", do: func(s *Server) (runstate.Change, error) {
			return s.AddLocalRecord(runstate.LocalRecord{Name: "big.home.arpa", Type: "TXT", Value: "0 " + long, TTL: 60}, by)
		}},
		{name: "removing one makes room", do: func(s *Server) (runstate.Change, error) {
			return s.RemoveLocalRecord(runstate.LocalRecord{Name: "big.home.arpa", Type: "TXT", Value: "1 " + long}, by)
		}},
		{name: "then one more fits", do: func(s *Server) (runstate.Change, error) {
			return s.AddLocalRecord(runstate.LocalRecord{Name: "tv.home.arpa", Type: "A", Value: "192.168.1.60"}, by)
		}, want: map[string]string{"tv.home.arpa.": "192.168.1.60"}},
	})
	for _, c := range s.Settings().Audit {
		if len(c.OldValue) > runstate.MaxAuditValue || len(c.NewValue) > runstate.MaxAuditValue {
			t.Fatalf("an audit value of %d and %d bytes", len(c.OldValue), len(c.NewValue))
		}
	}
	fi, err := os.Stat(settingsFile(s.fileCfg.Load()))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > runstate.MaxSettingsBytes {
		t.Errorf("the settings document is %d bytes, over %d", fi.Size(), runstate.MaxSettingsBytes)
	}
}
