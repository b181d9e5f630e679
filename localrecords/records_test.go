package localrecords

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func answers(rrs []dns.RR) string {
	var s []string
	for _, rr := range rrs {
		s = append(s, strings.ReplaceAll(rr.String(), "\t", " "))
	}
	return strings.Join(s, "; ")
}

func TestLookup(t *testing.T) {
	r, err := New(Config{Records: []Record{
		{Name: "NAS.home.arpa", Type: "A", Value: "192.168.1.10"},
		{Name: "nas.home.arpa", Type: "aaaa", Value: "fd00::10", TTL: time.Minute},
		{Name: "files.home.arpa", Type: "CNAME", Value: "nas.home.arpa"},
		{Name: "docs.home.arpa", Type: "CNAME", Value: "files.home.arpa"},
		{Name: "cdn.home.arpa", Type: "CNAME", Value: "example.com"},
		{Name: "printer.home.arpa", Type: "A", Value: "192.168.1.10"},
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		qtype uint16
		local bool
		want  string
	}{
		{"nas.home.arpa.", dns.TypeA, true, "nas.home.arpa. 300 IN A 192.168.1.10"},
		{"nas.home.arpa.", dns.TypeAAAA, true, "nas.home.arpa. 60 IN AAAA fd00::10"},
		{"nas.home.arpa.", dns.TypeMX, true, ""}, // NODATA
		{"files.home.arpa.", dns.TypeA, true, "files.home.arpa. 300 IN CNAME nas.home.arpa.; nas.home.arpa. 300 IN A 192.168.1.10"},
		{"docs.home.arpa.", dns.TypeAAAA, true, "docs.home.arpa. 300 IN CNAME files.home.arpa.; files.home.arpa. 300 IN CNAME nas.home.arpa.; nas.home.arpa. 60 IN AAAA fd00::10"},
		{"files.home.arpa.", dns.TypeCNAME, true, "files.home.arpa. 300 IN CNAME nas.home.arpa."},
		{"cdn.home.arpa.", dns.TypeA, true, "cdn.home.arpa. 300 IN CNAME example.com."},
		{"10.1.168.192.in-addr.arpa.", dns.TypePTR, true, "10.1.168.192.in-addr.arpa. 300 IN PTR nas.home.arpa.; 10.1.168.192.in-addr.arpa. 300 IN PTR printer.home.arpa."},
		{"0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa.", dns.TypePTR, true, "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa. 60 IN PTR nas.home.arpa."},
		{"11.1.168.192.in-addr.arpa.", dns.TypePTR, false, ""},
		{"example.com.", dns.TypeA, false, ""},
		{"home.arpa.", dns.TypeA, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+dns.TypeToString[tt.qtype], func(t *testing.T) {
			rrs, ok := r.Lookup(tt.name, tt.qtype)
			if ok != tt.local || answers(rrs) != tt.want {
				t.Errorf("Lookup = %v %q, want %v %q", ok, answers(rrs), tt.local, tt.want)
			}
		})
	}
}

// TestWildcardsAndRecordTypes: "*.name" answers the names under it that
// have no records of their own, under the name asked; MX, SRV, TXT, HTTPS
// values are read in zone-file form.
func TestWildcardsAndRecordTypes(t *testing.T) {
	r, err := New(Config{Records: []Record{
		{Name: "*.lab.home.arpa", Type: "A", Value: "192.168.5.1"},
		{Name: "db.lab.home.arpa", Type: "A", Value: "192.168.5.2"},
		{Name: "*.apps.home.arpa", Type: "CNAME", Value: "db.lab.home.arpa"},
		{Name: "mail.home.arpa", Type: "MX", Value: "10 mx.home.arpa"},
		{Name: "_sip._udp.home.arpa", Type: "SRV", Value: "0 5 5060 sip.home.arpa"},
		{Name: "home.arpa", Type: "TXT", Value: "v=spf1 -all"},
		{Name: "q.home.arpa", Type: "TXT", Value: `"one" "two"`},
		{Name: "svc.home.arpa", Type: "HTTPS", Value: "1 . alpn=h2"},
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		qtype uint16
		local bool
		want  string
	}{
		{"x.lab.home.arpa.", dns.TypeA, true, "x.lab.home.arpa. 300 IN A 192.168.5.1"},
		{"a.b.lab.home.arpa.", dns.TypeA, true, "a.b.lab.home.arpa. 300 IN A 192.168.5.1"},
		{"db.lab.home.arpa.", dns.TypeA, true, "db.lab.home.arpa. 300 IN A 192.168.5.2"},
		{"x.lab.home.arpa.", dns.TypeAAAA, true, ""}, // NODATA
		{"lab.home.arpa.", dns.TypeA, false, ""},     // a wildcard stands for names under it only
		{"web.apps.home.arpa.", dns.TypeA, true, "web.apps.home.arpa. 300 IN CNAME db.lab.home.arpa.; db.lab.home.arpa. 300 IN A 192.168.5.2"},
		{"mail.home.arpa.", dns.TypeMX, true, "mail.home.arpa. 300 IN MX 10 mx.home.arpa."},
		{"_sip._udp.home.arpa.", dns.TypeSRV, true, "_sip._udp.home.arpa. 300 IN SRV 0 5 5060 sip.home.arpa."},
		{"home.arpa.", dns.TypeTXT, true, `home.arpa. 300 IN TXT "v=spf1 -all"`},
		{"q.home.arpa.", dns.TypeTXT, true, `q.home.arpa. 300 IN TXT "one" "two"`},
		{"svc.home.arpa.", dns.TypeHTTPS, true, `svc.home.arpa. 300 IN HTTPS 1 . alpn="h2"`},
	}
	for _, tt := range tests {
		rrs, ok := r.Lookup(tt.name, tt.qtype)
		if ok != tt.local || answers(rrs) != tt.want {
			t.Errorf("%s/%s: Lookup = %v %q, want %v %q", tt.name, dns.TypeToString[tt.qtype], ok, answers(rrs), tt.local, tt.want)
		}
	}
	if !r.Has("any.lab.home.arpa.") || r.Has("lab.home.arpa.") {
		t.Error("Has does not see the wildcard as the lookup does")
	}
	rrs, _ := r.Lookup("x.lab.home.arpa.", dns.TypeA)
	rrs[0].Header().Name = "changed."
	if r.table.Load().wild["lab.home.arpa."][0].Header().Name != "*.lab.home.arpa." {
		t.Error("a lookup's answer shares the table's record")
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		rec  []Record
		want string
	}{
		{[]Record{{Name: "a.lan", Type: "A", Value: "fd00::1"}}, "local_records.records[0].value: "},
		{[]Record{{Name: "a.lan", Type: "AAAA", Value: "10.0.0.1"}}, "local_records.records[0].value: "},
		{[]Record{{Name: "a.lan", Type: "MX", Value: "x"}}, "local_records.records[0].value: "},
		{[]Record{{Name: "a.lan", Type: "NAPTR", Value: "x"}}, "local_records.records[0].type: "},
		{[]Record{{Name: "a.*.lan", Type: "A", Value: "10.0.0.1"}}, "local_records.records[0].name: "},
		{[]Record{{Name: "a.lan", Type: "TXT", Value: "two\nlines"}}, "local_records.records[0].value: "},
		{[]Record{{Name: "*.lab.lan", Type: "A", Value: "10.0.0.1"}, {Name: "*.lab.lan", Type: "CNAME", Value: "b.lan"}}, "local_records.records[1]: "},
		{[]Record{{Name: "", Type: "A", Value: "10.0.0.1"}}, "local_records.records[0].name: "},
		{[]Record{{Name: "a.lan", Type: "A", Value: "10.0.0.1"}, {Name: "a.lan", Type: "CNAME", Value: "b.lan"}}, "local_records.records[1]: "},
		{[]Record{{Name: "a.lan", Type: "A", Value: "10.0.0.1", TTL: -time.Second}}, "local_records.records[0].ttl: "},
		{[]Record{{Name: "a.lan", Type: "AAAA", Value: "fe80::1%eth0"}}, "local_records.records[0].value: \"fe80::1%eth0\" has a zone"},
		// CNAME loops: answered, they are a chain a client chases round.
		{[]Record{{Name: "a.lan", Type: "CNAME", Value: "a.lan"}}, "local_records.records: a CNAME loop: a.lan -> a.lan"},
		{[]Record{{Name: "a.lan", Type: "CNAME", Value: "b.lan"}, {Name: "b.lan", Type: "CNAME", Value: "A.lan."}},
			"local_records.records: a CNAME loop: a.lan -> b.lan -> a.lan"},
		{[]Record{{Name: "*.lab.lan", Type: "CNAME", Value: "x.lab.lan"}}, "local_records.records: a CNAME loop: *.lab.lan -> x.lab.lan -> x.lab.lan"},
		{[]Record{{Name: "c.lan", Type: "CNAME", Value: "d.lan"}, {Name: "d.lan", Type: "CNAME", Value: "e.lan"}, {Name: "e.lan", Type: "CNAME", Value: "d.lan"}},
			"local_records.records: a CNAME loop: c.lan -> d.lan -> e.lan -> d.lan"},
	}
	for _, tt := range tests {
		err := Config{Records: tt.rec}.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%+v: Validate = %v, want prefix %q", tt.rec, err, tt.want)
		}
	}
	// A chain that ends, even at a wildcard or outside, is no loop.
	for _, ok := range [][]Record{
		{{Name: "a.lan", Type: "CNAME", Value: "b.lan"}, {Name: "b.lan", Type: "CNAME", Value: "c.lan"}, {Name: "c.lan", Type: "A", Value: "10.0.0.1"}},
		{{Name: "a.lan", Type: "CNAME", Value: "x.lab.lan"}, {Name: "*.lab.lan", Type: "A", Value: "10.0.0.1"}},
		{{Name: "*.lab.lan", Type: "CNAME", Value: "www.example.org"}},
	} {
		if err := (Config{Records: ok}).Validate(); err != nil {
			t.Errorf("%+v: %v", ok, err)
		}
	}
}

func TestHostsFileReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hosts")
	write := func(s string, mod time.Time) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Now().Add(-time.Hour)
	write("# LAN\n192.168.1.20 tv.lan tv-alias.lan\n0.0.0.0 ads.example\nbogus\n", t0)
	r, err := New(Config{HostsFile: path, HostsPoll: 5 * time.Millisecond,
		Records: []Record{{Name: "tv.lan", Type: "AAAA", Value: "fd00::20"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rrs, _ := r.Lookup("tv-alias.lan.", dns.TypeA); answers(rrs) != "tv-alias.lan. 300 IN A 192.168.1.20" {
		t.Fatalf("alias: %q", answers(rrs))
	}
	if rrs, _ := r.Lookup("tv.lan.", dns.TypeAAAA); len(rrs) != 1 {
		t.Fatal("the config's record is not merged with the hosts file's")
	}
	if _, ok := r.Lookup("ads.example.", dns.TypeA); ok {
		t.Fatal("a 0.0.0.0 blocklist line became a local name")
	}
	if changed, err := r.Reload(); changed || err != nil {
		t.Fatalf("unchanged file reloaded: %v %v", changed, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	write("192.168.1.21 tv.lan\n", t0.Add(time.Minute))
	deadline := time.Now().Add(5 * time.Second)
	for {
		rrs, _ := r.Lookup("tv.lan.", dns.TypeA)
		if answers(rrs) == "tv.lan. 300 IN A 192.168.1.21" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("hosts file change not picked up: %q", answers(rrs))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, ok := r.Lookup("tv-alias.lan.", dns.TypeA); ok {
		t.Error("a name removed from the hosts file is still answered")
	}
	if rrs, _ := r.Lookup("21.1.168.192.in-addr.arpa.", dns.TypePTR); len(rrs) != 1 {
		t.Error("no PTR for the reloaded address")
	}

	// A vanished file keeps the last good copy.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Reload(); err == nil {
		t.Error("Reload of a missing file succeeded")
	}
	if _, ok := r.Lookup("tv.lan.", dns.TypeA); !ok {
		t.Error("the last good copy was dropped")
	}
	if _, err := New(Config{HostsFile: path}, nil); err == nil {
		t.Error("New with a missing hosts file succeeded")
	}
}

func FuzzParseHosts(f *testing.F) {
	f.Add("192.168.1.1 a.lan b.lan # c\n::1 localhost\n0.0.0.0 x\n")
	f.Fuzz(func(t *testing.T, s string) {
		rrs, _, err := parseHosts(strings.NewReader(s), time.Minute)
		if err != nil {
			return
		}
		if _, err := build(nil, rrs, time.Minute); err != nil {
			t.Fatal(err)
		}
	})
}
