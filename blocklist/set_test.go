package blocklist

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// buildTestSet builds a set from list texts; list i is source i, and source
// 2 is an allowlist.
func buildTestSet(t testing.TB, lists ...string) *domainSet {
	t.Helper()
	texts := map[int]string{}
	for i, l := range lists {
		texts[i] = l
	}
	return rebuildTestSet(t, nil, 1<<2, texts)
}

// rebuildTestSet builds the next set from old, replacing the lists in texts
// (by source), the way a load does.
func rebuildTestSet(t testing.TB, old *domainSet, allowLists uint64, texts map[int]string) *domainSet {
	t.Helper()
	readers := map[int]io.ReadSeeker{}
	for src, text := range texts {
		readers[src] = strings.NewReader(text)
	}
	s, err := buildSetFrom(old, allowLists, readers)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// buildSetFrom counts then reads each list, as Manager.load does, and
// builds the next set from old.
func buildSetFrom(old *domainSet, allowLists uint64, texts map[int]io.ReadSeeker) (*domainSet, error) {
	var lists []listReading
	for src, text := range texts {
		rules, err := countRules(text)
		if err != nil {
			return nil, err
		}
		lists = append(lists, listReading{src: src, rules: rules, read: func(emit func(Entry)) error {
			if err := rewind(text); err != nil {
				return err
			}
			_, err := parseList(text, emit)
			return err
		}})
	}
	s, _, err := buildSet(old, allowLists, lists)
	return s, err
}

// listStats parses a list text for its counts alone.
func listStats(t testing.TB, text string) parseStats {
	t.Helper()
	st, err := parseList(strings.NewReader(text), func(Entry) {})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestSetLookup(t *testing.T) {
	s := buildTestSet(t,
		"tiktok.com\n|exact.example^\n*.below.example CNAME .\n@@||good.tiktok.com^\n/^ad[0-9]+\\.track\\.net$/\n@@/^ad7\\./\n",
		"qq.com\nwx.qq.com CNAME rpz-passthru.\n",
		"weixin.qq.com\n",
	)
	block := policyMask{block: 0b011}
	withAllowList := policyMask{block: 0b011, allow: 0b100}
	tests := []struct {
		name    string
		p       policyMask
		q       string
		blocked bool
		allowed bool
		src     int
		domain  string
	}{
		{"listed", block, "tiktok.com", true, false, 0, "tiktok.com"},
		{"subdomain", block, "www.tiktok.com", true, false, 0, "tiktok.com"},
		{"case", block, "WWW.TikTok.COM", true, false, 0, "TikTok.COM"},
		{"parent not blocked", block, "com", false, false, 0, ""},
		{"sibling not blocked", block, "nottiktok.com", false, false, 0, ""},
		{"exception", block, "a.good.tiktok.com", false, true, 0, "good.tiktok.com"},
		{"exact", block, "exact.example", true, false, 0, "exact.example"},
		{"exact not below", block, "a.exact.example", false, false, 0, ""},
		{"below only", block, "a.below.example", true, false, 0, "below.example"},
		{"below not self", block, "below.example", false, false, 0, ""},
		{"regex", block, "ad12.track.net", true, false, 0, ""},
		{"regex exception", block, "ad7.track.net", false, true, 0, ""},
		{"regex exception beats domain block", block, "ad7.tiktok.com", false, true, 0, ""},
		{"second list", block, "mail.qq.com", true, false, 1, "qq.com"},
		{"rpz passthru exact", block, "wx.qq.com", false, true, 1, "wx.qq.com"},
		{"rpz passthru not below", block, "a.wx.qq.com", true, false, 1, "qq.com"},
		{"allow list", withAllowList, "weixin.qq.com", false, true, 2, "weixin.qq.com"},
		{"allow list unused", block, "weixin.qq.com", true, false, 1, "qq.com"},
		{"list not in policy", policyMask{block: 0b10}, "tiktok.com", false, false, 0, ""},
		{"empty", block, "", false, false, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := s.lookup(tt.q, tt.p)
			if v.blocked != tt.blocked || v.allowed != tt.allowed {
				t.Fatalf("lookup(%q) = %+v, want blocked=%v allowed=%v", tt.q, v, tt.blocked, tt.allowed)
			}
			if !v.blocked && !v.allowed {
				return
			}
			if v.src != tt.src {
				t.Errorf("lookup(%q) source %d, want %d", tt.q, v.src, tt.src)
			}
			if tt.domain != "" && tt.q[v.start:] != tt.domain {
				t.Errorf("lookup(%q) domain %q, want %q", tt.q, tt.q[v.start:], tt.domain)
			}
		})
	}
}

// oracle decides like set.lookup with maps of names, the obviously right way.
type oracle struct {
	rules []map[string]uint8 // per source: name -> flags
}

func (o oracle) decide(name string, p policyMask) (blocked, allowed bool) {
	labels := strings.Split(name, ".")
	for i := range labels {
		suffix := strings.Join(labels[i:], ".")
		for src, m := range o.rules {
			f, ok := m[suffix]
			if !ok {
				continue
			}
			bit := uint64(1) << src
			blockScope, allowScope := f&flagBlockBelow != 0, f&flagAllowBelow != 0
			if i == 0 {
				blockScope, allowScope = f&flagBlockSelf != 0, f&flagAllowSelf != 0
			}
			if allowScope && (p.block|p.allow)&bit != 0 || blockScope && p.allow&bit != 0 {
				allowed = true
			}
			if blockScope && p.block&bit != 0 {
				blocked = true
			}
		}
	}
	return blocked && !allowed, allowed
}

func randomName(r *rand.Rand, labels int, alphabet string) string {
	parts := make([]string, labels)
	for i := range parts {
		b := make([]byte, 1+r.IntN(3))
		for j := range b {
			b[j] = alphabet[r.IntN(len(alphabet))]
		}
		parts[i] = string(b)
	}
	return strings.Join(parts, ".")
}

// TestSetMatchesOracle checks the hash table against maps on random rules and
// names drawn from a tiny alphabet, so that names share suffixes often.
func TestSetMatchesOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	prefixes := []string{"", "||", "|", "@@||", "@@|", "*."}
	for round := range 20 {
		o := oracle{}
		var lists []string
		for range 3 {
			m := map[string]uint8{}
			var sb strings.Builder
			for range 200 {
				name := randomName(r, 1+r.IntN(3), "ab")
				pre := prefixes[r.IntN(len(prefixes))]
				if pre == "*." && r.IntN(2) == 0 {
					fmt.Fprintf(&sb, "*.%s CNAME .\n", name)
				} else {
					sb.WriteString(pre + name + "\n")
				}
				es, err := ParseLine(strings.TrimSuffix(lastLine(sb.String()), "\n"))
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range es {
					m[e.Domain] |= entryFlags(e)
				}
			}
			o.rules = append(o.rules, m)
			lists = append(lists, sb.String())
		}
		s := buildTestSet(t, lists...)
		for _, p := range []policyMask{{block: 0b111}, {block: 0b011, allow: 0b100}, {block: 0b001}} {
			for range 2000 {
				name := randomName(r, 1+r.IntN(5), "ab")
				v := s.lookup(name, p)
				wantBlocked, wantAllowed := o.decide(name, p)
				if v.blocked != wantBlocked || v.allowed != wantAllowed {
					t.Fatalf("round %d policy %+v name %q: got %+v, oracle blocked=%v allowed=%v", round, p, name, v, wantBlocked, wantAllowed)
				}
			}
		}
	}
}

func lastLine(s string) string {
	s = strings.TrimSuffix(s, "\n")
	return s[strings.LastIndexByte(s, '\n')+1:]
}

// TestBuildSetKeepsUnreplaced checks the refresh rule: a list not replaced
// keeps its entries, a replaced one has only its new entries.
func TestBuildSetKeepsUnreplaced(t *testing.T) {
	old := buildTestSet(t, "a.com\nshared.com\n", "b.com\nshared.com\n")
	s := rebuildTestSet(t, old, 0, map[int]string{1: "c.com\n"})
	all := policyMask{block: 0b11}
	for name, want := range map[string]bool{"a.com": true, "shared.com": true, "b.com": false, "c.com": true} {
		if got := s.lookup(name, all).blocked; got != want {
			t.Errorf("%s blocked = %v, want %v", name, got, want)
		}
	}
	if got := s.lookup("shared.com", policyMask{block: 0b10}).blocked; got {
		t.Error("shared.com still blocked by the replaced list")
	}
	if s.Len() != 3 {
		t.Errorf("Len = %d, want 3", s.Len())
	}
}

// FuzzSetLookup checks the set against the map oracle for any list text and
// name: one block list, one allowlist.
func FuzzSetLookup(f *testing.F) {
	f.Add("a.b\n@@||c.a.b^\n|x.y^\n*.z CNAME .\n", "c.a.b", "q.a.b")
	f.Add("0.0.0.0 A.B. c.d\n", "A.b", "x.c.d.")
	f.Fuzz(func(t *testing.T, list, allow, name string) {
		name = strings.TrimSuffix(name, ".")
		o := oracle{}
		for _, text := range []string{list, allow} {
			m := map[string]uint8{}
			for line := range strings.SplitSeq(text, "\n") {
				es, _ := ParseLine(line)
				for _, e := range es {
					if e.Domain != "" {
						m[e.Domain] |= entryFlags(e)
					}
				}
			}
			o.rules = append(o.rules, m)
		}
		noRegex := func(text string) string { // the oracle knows no regexes
			var kept []string
			for line := range strings.SplitSeq(text, "\n") {
				if es, _ := ParseLine(line); len(es) == 0 || es[0].Regex == "" {
					kept = append(kept, line)
				}
			}
			return strings.Join(kept, "\n")
		}
		s := buildTestSet(t, noRegex(list), noRegex(allow))
		p := policyMask{block: 1, allow: 2}
		v := s.lookup(name, p)
		wantBlocked, wantAllowed := o.decide(strings.ToLower(name), p)
		if v.blocked != wantBlocked || v.allowed != wantAllowed {
			t.Fatalf("name %q: got %+v, oracle blocked=%v allowed=%v", name, v, wantBlocked, wantAllowed)
		}
	})
}

func TestParseListRPZOrigin(t *testing.T) {
	zone := `$TTL 300
$ORIGIN rpz.example.
@ IN SOA localhost. hostmaster.localhost. (
        2024010101 ; serial
        3600 600 86400 60 )
@ IN NS localhost.
ads.example.com CNAME .
*.ads.example.com CNAME .
tracker.example.net.rpz.example. CNAME .
ok.ads.example.com CNAME rpz-passthru.
redirect.example A 10.0.0.1
`
	if st := listStats(t, zone); st.Entries != 4 || st.Skipped != 1 || st.Invalid != 0 {
		t.Fatalf("stats %+v", st)
	}
	s := rebuildTestSet(t, nil, 0, map[int]string{0: zone})
	for name, want := range map[string]bool{
		"ads.example.com": true, "x.ads.example.com": true, "tracker.example.net": true,
		"ok.ads.example.com": false, "a.tracker.example.net": false, "rpz.example": false,
	} {
		if got := s.lookup(name, policyMask{block: 1}).blocked; got != want {
			t.Errorf("%s blocked = %v, want %v", name, got, want)
		}
	}
}

// TestBuildSetSizedFromCount: the table is allocated once, for the counted
// rules; a list holding more than counted (a file changed between the two
// readings) grows it and loses nothing.
func TestBuildSetSizedFromCount(t *testing.T) {
	var text strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&text, "n%d.example\n", i)
	}
	grown := func(limit int) int { // the size after doubling past 1000
		for limit < 1000 {
			limit = 2*limit + 1
		}
		return tableSize(limit)
	}
	read := func(text string) func(func(Entry)) error {
		return func(emit func(Entry)) error {
			_, err := parseList(strings.NewReader(text), emit)
			return err
		}
	}
	for _, tt := range []struct {
		name  string
		rules int
		size  int
	}{
		{"counted", 1000, tableSize(1000)},
		{"undercounted", 10, grown(10)},
		{"not counted", 0, grown(0)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, _, err := buildSet(nil, 0, []listReading{{src: 0, rules: tt.rules, read: read(text.String())}})
			if err != nil {
				t.Fatal(err)
			}
			if s.Len() != 1000 || len(s.keys) != tt.size {
				t.Errorf("%d names in %d slots, want 1000 in %d", s.Len(), len(s.keys), tt.size)
			}
			for i := range 1000 {
				if !s.lookup(fmt.Sprintf("n%d.example", i), policyMask{block: 1}).blocked {
					t.Fatalf("n%d.example lost", i)
				}
			}
		})
	}
}
