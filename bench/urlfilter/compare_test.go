package urlfilter

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/AdguardTeam/urlfilter"
	"github.com/AdguardTeam/urlfilter/filterlist"
	"github.com/AdguardTeam/urlfilter/rules"
	"github.com/miekg/dns"
	"golang.org/x/net/idna"

	"github.com/cleandns/cleandns/blocklist"
)

// sdnFilter returns AdGuard's Simplified Domain Names filter, the base of
// the AdGuard DNS filter, as urlfilter's module ships it for its own tests:
// no download at test time.
func sdnFilter(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/AdguardTeam/urlfilter").Output()
	if err != nil {
		t.Fatalf("finding urlfilter's module: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "testdata", "adguard_sdn_filter.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// formsList is every pattern form and DNS modifier, written the way
// AdGuard's knowledge base writes them.
const formsList = `||adserver1.
-logging.nextmedia.com^
||gstatic.com^
@@-ds.metric.gstatic.com^|
.dotx.org^
*.star.org^
||a*b.org^
://colon.org^
://*.sub.org^
|exact.org^
http://h.org^
//s.org^
ads.com^
||adsx
||dt.org^$dnstype=AAAA
||ndt.org^$dnstype=~A|~CNAME
||cl.org^$client=10.0.0.5
||ncl.org^$client=~10.0.0.5
||cidr.org^$client=10.0.0.0/24
||grp.org^$client='kids'
||tag.org^$ctag=kids
||ntag.org^$ctag=~kids
||da.org^$denyallow=sub.da.org
||imp.org^
@@||imp.org^
||imp.org^$important
||bf.org^
||bf.org^$badfilter
||bf2.org^$dnstype=A,important
||bf2.org^$important,badfilter,dnstype=A
||rw.org^$dnsrewrite=1.2.3.4
||rwc.org^$dnsrewrite=example.net
||rwr.org^$dnsrewrite=REFUSED
||rwx.org^$dnsrewrite=NOERROR;MX;32 mail.example.com
||rwoff.org^$dnsrewrite=1.2.3.4
@@||rwoff.org^$dnsrewrite
||rwb.org^
||rwb.org^$dnsrewrite=1.2.3.4
plain.org
0.0.0.0 hosts.org
192.168.1.10 nas.org
`

// probe is one query of the comparison.
type probe struct {
	name   string
	qtype  uint16
	client netip.Addr
	group  string
	kind   string // "rule", "subdomain", "parent", "unlisted"
	rule   string // the list line the name comes from
}

var wordRE = regexp.MustCompile(`[a-z0-9_-]+`)

// shape is a rule with its words replaced by "w": the class of its form.
func shape(rule string) string {
	if rule == "" {
		return ""
	}
	return wordRE.ReplaceAllString(strings.ToLower(rule), "w")
}

// nameOf derives a name a rule is about: "||ad*.x^" gives "adx.x".
func nameOf(line string) string {
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '!' || line[0] == '#' {
		return ""
	}
	if f := strings.Fields(line); len(f) == 2 {
		if _, err := netip.ParseAddr(f[0]); err == nil {
			return f[1]
		}
	}
	line = strings.TrimPrefix(line, "@@")
	line, _, _ = strings.Cut(line, "$")
	for _, p := range []string{"||", "|http://", "http://", "://", "//", "|"} {
		if rest, ok := strings.CutPrefix(line, p); ok {
			line = rest
			break
		}
	}
	line = strings.TrimRight(line, "|^")
	line = strings.ReplaceAll(line, "*", "x")
	if i := strings.IndexAny(line, "/?=&^:"); i >= 0 {
		return ""
	}
	if strings.HasPrefix(line, ".") || strings.HasPrefix(line, "-") {
		line = "a" + line
	}
	if strings.HasSuffix(line, ".") {
		line += "com"
	}
	if line == "" || strings.Contains(line, "..") || strings.HasPrefix(line, "x.") && len(line) < 4 {
		return ""
	}
	return line
}

// probes are the rule's name, a subdomain and its parent for each rule,
// and unlisted names, each asked as A (and as AAAA, from a client of the
// "kids" group, for the forms list).
func probes(list string, withClients bool) []probe {
	var out []probe
	for _, line := range strings.Split(list, "\n") {
		n := nameOf(line)
		if n == "" {
			continue
		}
		names := []probe{{name: n, kind: "rule"}, {name: "sub." + n, kind: "subdomain"}}
		if _, parent, ok := strings.Cut(n, "."); ok && strings.Contains(parent, ".") {
			names = append(names, probe{name: parent, kind: "parent"})
		}
		for _, p := range names {
			p.rule, p.qtype = strings.TrimSpace(line), dns.TypeA
			out = append(out, p)
			if withClients {
				for _, c := range []probe{
					{qtype: dns.TypeAAAA, client: netip.MustParseAddr("10.0.0.5"), group: "kids"},
					{qtype: dns.TypeA, client: netip.MustParseAddr("10.0.1.5"), group: "lab"},
				} {
					c.name, c.kind, c.rule = p.name, p.kind, p.rule
					out = append(out, c)
				}
			}
		}
	}
	for i := range 2000 {
		out = append(out, probe{name: fmt.Sprintf("unlisted%d.example-nowhere.net", i), qtype: dns.TypeA, kind: "unlisted"})
	}
	return out
}

// engines loads list into both engines.
func engines(t testing.TB, list string) (*urlfilter.DNSEngine, blocklist.QueryMatcher) {
	t.Helper()
	storage, err := filterlist.NewRuleStorage([]filterlist.RuleList{
		&filterlist.StringRuleList{ID: 1, RulesText: list, IgnoreCosmetic: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "list.txt")
	if err := os.WriteFile(path, []byte(list), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := blocklist.New(blocklist.Config{}, []blocklist.Policy{{Name: "p", Lists: []blocklist.ListSpec{{Source: path}}}}, blocklist.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); m.Wait() })
	return urlfilter.NewDNSEngine(storage), m.Matcher("p").(blocklist.QueryMatcher)
}

// adguard is urlfilter's verdict, read as AdGuard Home reads it: rewrites
// first, then the network rule, then hosts rules.
func adguard(e *urlfilter.DNSEngine, p probe) (string, string) {
	res, _ := e.MatchRequest(&urlfilter.DNSRequest{
		Hostname: p.name, DNSType: rules.RRType(p.qtype), ClientIP: p.client, ClientName: p.group,
		SortedClientTags: tags(p.group),
	})
	if rw := res.DNSRewrites(); len(rw) > 0 {
		return "rewrite", rw[0].Text()
	}
	if r := res.NetworkRule; r != nil {
		if r.Whitelist {
			return "allow", r.Text()
		}
		return "block", r.Text()
	}
	for _, h := range append(res.HostRulesV4, res.HostRulesV6...) {
		if h.IP.IsUnspecified() || h.IP.IsLoopback() {
			return "block", h.Text()
		}
		return "rewrite", h.Text()
	}
	return "none", ""
}

func tags(group string) []string {
	if group == "" {
		return nil
	}
	return []string{group}
}

// cleandns is cleandns's verdict for the same probe.
// A name in Unicode is asked in punycode, the form DNS queries carry.
func cleandns(m blocklist.QueryMatcher, p probe) string {
	name := p.name
	if ascii, err := idna.Lookup.ToASCII(name); err == nil {
		name = ascii
	}
	d := m.MatchQuery(blocklist.Query{Name: name, Type: p.qtype, Client: p.client, Group: p.group})
	switch {
	case d.Rewrite != nil:
		return "rewrite"
	case d.Blocked:
		return "block"
	case d.Rule.Allow:
		return "allow"
	}
	return "none"
}

// designDifference reports the difference cleandns makes on purpose: a
// plain or hosts line blocks the name's subdomains too (AdGuard: the name
// only), as every other list reader does.
func designDifference(p probe, ours, theirs string) bool {
	if p.kind != "subdomain" || ours != "block" || theirs != "none" {
		return false
	}
	f := strings.Fields(p.rule)
	return len(f) == 1 && !strings.ContainsAny(p.rule, "|^$*/:@") || len(f) == 2
}

func compare(t *testing.T, list string, withClients bool) {
	e, m := engines(t, list)
	classes := map[string]int{}
	examples := map[string]string{}
	total, agree, design := 0, 0, 0
	for _, p := range probes(list, withClients) {
		total++
		theirs, theirRule := adguard(e, p)
		ours := cleandns(m, p)
		if ours == theirs {
			agree++
			continue
		}
		if designDifference(p, ours, theirs) {
			design++
			continue
		}
		class := fmt.Sprintf("%s: cleandns %s, AdGuard %s (rule %s, AdGuard's %s)", p.kind, ours, theirs, shape(p.rule), shape(theirRule))
		classes[class]++
		if _, ok := examples[class]; !ok {
			examples[class] = fmt.Sprintf("%s %s from %s/%s under %q", p.name, dns.TypeToString[p.qtype], p.client, p.group, p.rule)
		}
	}
	t.Logf("%d probes: %d agree (%.2f%%), %d design differences (plain and hosts lines block subdomains), %d other",
		total, agree, 100*float64(agree)/float64(total), design, total-agree-design)
	keys := make([]string, 0, len(classes))
	for k := range classes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Errorf("%d× %s, e.g. %s", classes[k], k, examples[k])
	}
}

// TestCompareForms compares every form and modifier, with clients.
func TestCompareForms(t *testing.T) { compare(t, formsList, true) }

// TestCompareSDNFilter compares AdGuard's Simplified Domain Names filter.
func TestCompareSDNFilter(t *testing.T) { compare(t, sdnFilter(t), false) }
