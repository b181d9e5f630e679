package blocklist

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// queryMatcher loads rules as one list file of the "default" policy, with
// allow as an allowlist beside it when given.
func queryMatcher(t *testing.T, rules, allow string) QueryMatcher {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "list.txt")
	if err := os.WriteFile(path, []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	lists := []ListSpec{{Source: path}}
	if allow != "" {
		a := filepath.Join(dir, "allow.txt")
		if err := os.WriteFile(a, []byte(allow), 0o600); err != nil {
			t.Fatal(err)
		}
		lists = append(lists, ListSpec{Source: a, Allow: true})
	}
	m, _ := newTestManager(t, Config{}, Policy{Name: "default", Lists: lists})
	startManager(t, m)
	return m.Matcher("default").(QueryMatcher)
}

// verdictOf is a Decision in a few words: "block", "allow", "none", or
// "rewrite" and the rcode and records.
func verdictOf(d Decision) string {
	switch {
	case d.Rewrite != nil:
		var parts []string
		for _, rw := range d.Rewrite {
			if rw.RR == nil {
				parts = append(parts, dns.RcodeToString[rw.RCode])
				continue
			}
			parts = append(parts, strings.TrimPrefix(rw.RR.String(), ".\t0\tIN\t"))
		}
		return "rewrite " + strings.Join(parts, "; ")
	case d.Blocked:
		return "block"
	case d.Rule.Allow:
		return "allow"
	}
	return "none"
}

// q is a query for the corpus: "name", "name/AAAA", "name@10.0.0.1",
// "name#group".
func q(s string) Query {
	var out Query
	s, out.Group, _ = strings.Cut(s, "#")
	s, client, _ := strings.Cut(s, "@")
	if client != "" {
		out.Client = netip.MustParseAddr(client)
	}
	s, typ, _ := strings.Cut(s, "/")
	out.Name, out.Type = s, dns.TypeA
	if typ != "" {
		out.Type = dns.StringToType[typ]
	}
	return out
}

// TestAdGuardCorpus is the verdict of each pattern form and modifier, as
// AdGuard's knowledge base ("DNS filtering syntax") describes it and
// AdGuard's engine (urlfilter) gives it; bench/urlfilter checks the same
// forms against the engine itself.
func TestAdGuardCorpus(t *testing.T) {
	tests := []struct {
		form, rules, allow string
		want               map[string]string // query → verdict
	}{
		{"||x. any TLD", "||adserver1.", "", map[string]string{
			"adserver1.com": "block", "x.adserver1.net": "block", "ADSERVER1.co.uk.": "block",
			"adserver1": "none", "xadserver1.com": "none"}},
		{"unanchored -x^", "-logging.nextmedia.com^", "", map[string]string{
			"a-logging.nextmedia.com": "block", "logging.nextmedia.com": "none", "a-logging.nextmedia.com.evil": "none"}},
		{"unanchored exception -x^|", "||gstatic.com^\n@@-ds.metric.gstatic.com^|", "", map[string]string{
			"abc-dnsotls-ds.metric.gstatic.com": "allow", "metric.gstatic.com": "block", "ds.metric.gstatic.com": "block"}},
		{".x^ subdomains only", ".dotx.org^", "", map[string]string{
			"s.dotx.org": "block", "dotx.org": "none", "adotx.org": "none"}},
		{"*.x^ subdomains only", "*.star.org^", "", map[string]string{
			"s.star.org": "block", "a.b.star.org": "block", "star.org": "none"}},
		{"||x*y^", "||a*b.org^", "", map[string]string{
			"axb.org": "block", "ab.org": "block", "s.axyzb.org": "block", "ba.org": "none", "xab.org": "none"}},
		{"://x^ the name only", "://colon.org^", "", map[string]string{
			"colon.org": "block", "sub.colon.org": "none"}},
		{"http://x^ the name only; //x^, |http://x^, https://x^ nothing", "http://h.org^\n//s.org^\n|http://b.org^\nhttps://never.org^", "", map[string]string{
			"h.org": "block", "s.org": "none", "b.org": "none", "x.h.org": "none", "never.org": "none"}},
		{"||address^", "||192.0.2.1^", "", map[string]string{
			"192.0.2.1": "block", "a.192.0.2.1": "block", "92.0.2.1": "none"}},
		{".x without ^ unanchored", ".l30.js", "", map[string]string{
			"a.l30.js": "block", "a.l30.json": "block", "l30.js": "none"}},
		{"://*.x^ subdomains only", "://*.sub.org^", "", map[string]string{
			"a.sub.org": "block", "sub.org": "none"}},
		{"|x^ the name only", "|exact.org^", "", map[string]string{
			"exact.org": "block", "sub.exact.org": "none"}},
		{"x^ unanchored", "ads.com^", "", map[string]string{
			"ads.com": "block", "badads.com": "block", "x.ads.com": "block", "ads.com.au": "none"}},
		{"||x without end", "||ads", "", map[string]string{
			"adsfoo.com": "block", "x.adserver.com": "block", "bads.com": "none"}},
		{"$dnstype", "||example.org^$dnstype=AAAA", "", map[string]string{
			"example.org/AAAA": "block", "example.org/A": "none", "www.example.org/AAAA": "block"}},
		{"$dnstype negated", "||example.org^$dnstype=~A|~CNAME", "", map[string]string{
			"example.org/AAAA": "block", "example.org/A": "none", "example.org/CNAME": "none"}},
		{"$client address", "||example.org^$client=127.0.0.1", "", map[string]string{
			"example.org@127.0.0.1": "block", "example.org@127.0.0.2": "none", "example.org": "none"}},
		{"$client negated", "||example.org^$client=~127.0.0.1", "", map[string]string{
			"example.org@127.0.0.1": "none", "example.org@127.0.0.2": "block"}},
		{"$client CIDR", "||example.org^$client=192.168.0.0/24|2001:db8::/32", "", map[string]string{
			"example.org@192.168.0.5": "block", "example.org@192.168.1.5": "none", "example.org@2001:db8::1": "block"}},
		{"$client group name", `||example.org^$client='kids'|"Frank\'s laptop"`, "", map[string]string{
			"example.org#kids": "block", "example.org#Frank's laptop": "block", "example.org#default": "none"}},
		{"$ctag", "||example.org^$ctag=device_pc|kids", "", map[string]string{
			"example.org#kids": "block", "example.org#device_pc": "block", "example.org#lab": "none"}},
		{"$ctag negated", "||example.org^$ctag=~kids", "", map[string]string{
			"example.org#kids": "none", "example.org#lab": "block"}},
		{"$denyallow everything but", "*$denyallow=com|net", "", map[string]string{
			"example.org": "block", "example.com": "none", "x.example.net": "none"}},
		{"$denyallow a subdomain", "||example.org^$denyallow=sub.example.org", "", map[string]string{
			"example.org": "block", "a.example.org": "block", "sub.example.org": "none", "a.sub.example.org": "none"}},
		{"exception beats block", "||example.org^\n@@||www.example.org^", "", map[string]string{
			"www.example.org": "allow", "example.org": "block"}},
		{"$important beats exception", "@@||example.org^\n||example.org^$important", "", map[string]string{
			"example.org": "block", "a.example.org": "block"}},
		{"important exception beats important", "||example.org^$important\n@@||example.org^$important", "", map[string]string{
			"example.org": "allow"}},
		{"allowlist beats $important", "||example.org^$important", "example.org", map[string]string{
			"example.org": "allow"}},
		{"$badfilter of a domain rule", "||example.org^\n||example.org^$badfilter", "", map[string]string{
			"example.org": "none", "a.example.org": "none"}},
		{"$badfilter of a modifier rule, any order", "||example.org^$dnstype=A,important\n||example.org^$important,badfilter,dnstype=A", "", map[string]string{
			"example.org/A": "none"}},
		{"$badfilter of an exception", "||example.org^\n@@||example.org^\n@@||example.org^$badfilter", "", map[string]string{
			"example.org": "block"}},
		{"$badfilter of |x^ is skipped, not misread", "||example.org^\n|example.org^$badfilter", "", map[string]string{
			"example.org": "block"}},
		{"$dnsrewrite address", "||example.org^$dnsrewrite=1.2.3.4", "", map[string]string{
			"example.org": "rewrite A\t1.2.3.4", "a.example.org/AAAA": "rewrite A\t1.2.3.4"}},
		{"$dnsrewrite IPv6", "||example.org^$dnsrewrite=NOERROR;AAAA;2001:db8::1", "", map[string]string{
			"example.org/AAAA": "rewrite AAAA\t2001:db8::1"}},
		{"$dnsrewrite CNAME", "||example.org^$dnsrewrite=example.net\n||example.com^$dnsrewrite=NOERROR;CNAME;example.net", "", map[string]string{
			"example.org": "rewrite CNAME\texample.net.", "example.com": "rewrite CNAME\texample.net."}},
		{"$dnsrewrite rcodes", "||a.org^$dnsrewrite=REFUSED\n||b.org^$dnsrewrite=NXDOMAIN;;\n||c.org^$dnsrewrite=NOERROR", "", map[string]string{
			"a.org": "rewrite REFUSED", "b.org": "rewrite NXDOMAIN", "c.org": "rewrite NOERROR"}},
		{"$dnsrewrite MX TXT HTTPS SVCB", "||mx.org^$dnsrewrite=NOERROR;MX;32 mail.example.com\n||txt.org^$dnsrewrite=NOERROR;TXT;hello world\n||h.org^$dnsrewrite=NOERROR;HTTPS;32 example.com alpn=h3\n||s.org^$dnsrewrite=NOERROR;SVCB;1 . port=8443", "", map[string]string{
			"mx.org": "rewrite MX\t32 mail.example.com.", "txt.org": "rewrite TXT\t\"hello world\"",
			"h.org": "rewrite HTTPS\t32 example.com. alpn=\"h3\"", "s.org": "rewrite SVCB\t1 . port=\"8443\""}},
		{"$dnsrewrite records combine", "||example.org^$dnsrewrite=1.2.3.4\n||example.org^$dnsrewrite=1.2.3.5", "", map[string]string{
			"example.org": "rewrite A\t1.2.3.4; A\t1.2.3.5"}},
		{"$dnsrewrite beats a block", "||example.org^\n||example.org^$dnsrewrite=1.2.3.4", "", map[string]string{
			"example.org": "rewrite A\t1.2.3.4"}},
		{"@@$dnsrewrite disables every rewrite", "||example.org^$dnsrewrite=1.2.3.4\n@@||example.org^$dnsrewrite", "", map[string]string{
			"example.org": "none"}},
		{"@@$dnsrewrite=v disables that rewrite", "||example.org^$dnsrewrite=1.2.3.4\n||example.org^$dnsrewrite=1.2.3.5\n@@||example.org^$dnsrewrite=1.2.3.4", "", map[string]string{
			"example.org": "rewrite A\t1.2.3.5"}},
		{"hosts line with an address", "192.168.1.10 nas.lan printer.lan\n0.0.0.0 ads.lan", "", map[string]string{
			"nas.lan": "rewrite A\t192.168.1.10", "printer.lan": "rewrite A\t192.168.1.10", "x.nas.lan": "none", "ads.lan": "block"}},
		{"dnsmasq address=/x/ip", "address=/lab.lan/10.0.0.1\naddress=/v6.lan/fd00::1", "", map[string]string{
			"lab.lan": "rewrite A\t10.0.0.1", "a.lab.lan": "rewrite A\t10.0.0.1", "v6.lan/AAAA": "rewrite AAAA\tfd00::1"}},
	}
	for _, tt := range tests {
		t.Run(tt.form, func(t *testing.T) {
			m := queryMatcher(t, tt.rules, tt.allow)
			for query, want := range tt.want {
				if got := verdictOf(m.MatchQuery(q(query))); got != want {
					t.Errorf("%q under %q: %s, want %s", query, tt.rules, got, want)
				}
			}
		})
	}
}

// TestMatchQueryAllocs keeps lookups free of allocations with patterns and
// modifier rules loaded, for unlisted names and for the rules' own.
func TestMatchQueryAllocs(t *testing.T) {
	m := queryMatcher(t, strings.Join([]string{
		"||ads.example^", "||adserver1.", "-logging.nextmedia.com^", "@@-ds.metric.gstatic.com^|",
		"||a*b.org^", "||x.org^$dnstype=AAAA,client=10.0.0.0/8|kids", "*$denyallow=com|net|org|lan",
		"||rw.example^$dnsrewrite=1.2.3.4", "||imp.example^$important", "@@||imp.example^",
	}, "\n"), "")
	for _, name := range []string{"unlisted.example.org", "www.ads.example", "adserver1.com", "x-logging.nextmedia.com",
		"a-ds.metric.gstatic.com", "x.org", "rw.example", "imp.example", "example.lan"} {
		query := Query{Name: name, Type: dns.TypeAAAA, Client: netip.MustParseAddr("10.1.2.3"), Group: "kids"}
		if n := testing.AllocsPerRun(100, func() { m.MatchQuery(query) }); n != 0 {
			t.Errorf("MatchQuery(%q): %v allocations, want 0", name, n)
		}
	}
}

// TestExtRulesOutliveReadBuffer loads rules of every kind the extSet
// keeps, then enough lines for the read buffer to be filled again: the
// rules must not point into it.
func TestExtRulesOutliveReadBuffer(t *testing.T) {
	var b strings.Builder
	b.WriteString("||192.0.2.1^\n||ad*.pat.example^\n||mod.example^$dnstype=A,client=kids|10.0.0.0/8,ctag=lab\n")
	b.WriteString("||rw.example^$dnsrewrite=NOERROR;MX;10 mx.example\n192.0.2.9 nas.lan\naddress=/lab.lan/192.0.2.8\n")
	b.WriteString("*$denyallow=keep.example|org|lan|arpa\n")
	for i := range 20000 {
		fmt.Fprintf(&b, "||filler%d.example.net^\n", i)
	}
	m := queryMatcher(t, b.String(), "")
	for query, want := range map[string]string{
		"192.0.2.1": "block", "adx.pat.example": "block", "mod.example#kids": "block", "mod.example#lab": "block",
		"mod.example@10.1.1.1": "block", "rw.example/MX": "rewrite MX\t10 mx.example.",
		"nas.lan": "rewrite A\t192.0.2.9", "x.lab.lan": "rewrite A\t192.0.2.8", "keep.example": "none", "other.example": "block",
	} {
		if got := verdictOf(m.MatchQuery(q(query))); got != want {
			t.Errorf("%s: %s, want %s", query, got, want)
		}
	}
}

// TestMatchExact: a `match: exact` list's plain and hosts lines block the
// name only, as Pi-hole reads them; its adblock rules keep their scope, and
// other lists are unaffected.
func TestMatchExact(t *testing.T) {
	dir := t.TempDir()
	exactList, other := filepath.Join(dir, "pihole.txt"), filepath.Join(dir, "other.txt")
	if err := os.WriteFile(exactList, []byte("ads.example\n0.0.0.0 hosts.example\n||abp.example^\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, []byte("wide.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m, _ := newTestManager(t, Config{}, Policy{Name: "default", Lists: []ListSpec{{Source: exactList, Match: "exact"}, {Source: other}}})
	startManager(t, m)
	match := m.Matcher("default")
	for name, want := range map[string]bool{
		"ads.example": true, "www.ads.example": false, "hosts.example": true, "a.hosts.example": false,
		"abp.example": true, "a.abp.example": true, "a.wide.example": true,
	} {
		if _, got := match.Match(name); got != want {
			t.Errorf("%s blocked: %v, want %v", name, got, want)
		}
	}
	if _, err := New(Config{}, []Policy{{Name: "a", Lists: []ListSpec{{Source: exactList, Match: "exact"}}}, {Name: "b", Lists: []ListSpec{{Source: exactList}}}}, Deps{}); err == nil {
		t.Error("one list with two match settings was accepted")
	}
	if _, err := New(Config{}, []Policy{{Name: "a", Lists: []ListSpec{{Source: exactList, Match: "prefix"}}}}, Deps{}); err == nil {
		t.Error("match: prefix was accepted")
	}
}
