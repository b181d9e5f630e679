package blocklist

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

func TestParseLine(t *testing.T) {
	d := func(name string) Entry { return Entry{Domain: name} }
	tests := []struct {
		name    string
		line    string
		want    []Entry
		skipped bool // ErrUnsupported
		invalid bool // another error
	}{
		{"blank", "", nil, false, false},
		{"spaces", "  \t ", nil, false, false},
		{"hash comment", "# tiktok.com", nil, false, false},
		{"bang comment", "! Title: list", nil, false, false},
		{"semicolon comment", "; zone comment", nil, false, false},
		{"adblock header", "[Adblock Plus 2.0]", nil, false, false},
		{"zone directive", "$TTL 300", nil, false, false},
		{"plain", "tiktok.com", []Entry{d("tiktok.com")}, false, false},
		{"plain upper trailing dot", "WWW.TikTok.COM.", []Entry{d("www.tiktok.com")}, false, false},
		{"plain CRLF", "tiktok.com\r", []Entry{d("tiktok.com")}, false, false},
		{"plain BOM", "\ufefftiktok.com", []Entry{d("tiktok.com")}, false, false},
		{"inline hash comment", "tiktok.com # video", []Entry{d("tiktok.com")}, false, false},
		{"underscore", "_dmarc.example.com", []Entry{d("_dmarc.example.com")}, false, false},
		{"single label tld", "cn", []Entry{d("cn")}, false, false},
		{"idn", "bücher.example", []Entry{d("xn--bcher-kva.example")}, false, false},
		{"idn tld", "qq.中国", []Entry{d("qq.xn--fiqs8s")}, false, false},
		{"wildcard plain", "*.example.com", []Entry{d("example.com")}, false, false},
		{"localhost plain", "localhost", nil, false, false},
		{"hosts zero", "0.0.0.0 ads.example.com", []Entry{d("ads.example.com")}, false, false},
		{"hosts loopback", "127.0.0.1 ads.example.com", []Entry{d("ads.example.com")}, false, false},
		{"hosts v6", ":: ads.example.com", []Entry{d("ads.example.com")}, false, false},
		{"hosts v6 loopback", "::1 ads.example.com", []Entry{d("ads.example.com")}, false, false},
		{"hosts many", "0.0.0.0 a.com\tb.com  # two", []Entry{d("a.com"), d("b.com")}, false, false},
		{"hosts localhost", "127.0.0.1 localhost", nil, false, false},
		{"hosts localhost v6", "::1 ip6-localhost ip6-loopback", nil, false, false},
		{"hosts self", "0.0.0.0 0.0.0.0", nil, false, false},
		{"hosts bad name", "0.0.0.0 bad!name.com ok.com", []Entry{d("ok.com")}, false, true},
		{"adblock", "||ads.example.com^", []Entry{d("ads.example.com")}, false, false},
		{"adblock upper", "||ADS.Example.com^", []Entry{d("ads.example.com")}, false, false},
		{"adblock exact", "|ads.example.com^", []Entry{{Domain: "ads.example.com", Exact: true}}, false, false},
		{"adblock exception", "@@||good.example.com^", []Entry{{Domain: "good.example.com", Allow: true}}, false, false},
		{"adblock exact exception", "@@|good.example.com^", []Entry{{Domain: "good.example.com", Allow: true, Exact: true}}, false, false},
		{"adblock third-party", "||ads.example.com^$third-party", nil, true, false},
		{"adblock path", "||example.com/ads/*", nil, true, false},
		{"adblock end bar", "||ads.example.com^|", []Entry{d("ads.example.com")}, false, false},
		{"adblock subdomains only", ".ads.example.com^", []Entry{{Domain: "ads.example.com", Below: true}}, false, false},
		{"adblock star subdomains only", "*.ads.example.com^", []Entry{{Domain: "ads.example.com", Below: true}}, false, false},
		{"adblock scheme exact", "://ads.example.com^", []Entry{{Domain: "ads.example.com", Exact: true}}, false, false},
		{"adblock badfilter", "||ads.example.com^$badfilter", []Entry{{Domain: "ads.example.com", Off: true}}, false, false},
		{"adblock exception badfilter", "@@||ads.example.com^$badfilter", []Entry{{Domain: "ads.example.com", Allow: true, Off: true}}, false, false},
		{"adblock unknown modifier", "||ads.example.com^$script,important", nil, true, false},
		{"adblock empty rewrite", "||ads.example.com^$dnsrewrite", nil, false, true},
		{"cosmetic scriptlet", "example.com#%#//scriptlet('abort-on-property-read', 'ads')", nil, true, false},
		{"cosmetic css", "example.com#$#.ad { display: none!important; }", nil, true, false},
		{"cosmetic html", "example.com$$script[tag-content=\"ads\"]", nil, true, false},
		{"cosmetic", "example.com##.banner", nil, true, false},
		{"cosmetic exception", "example.com#@#.banner", nil, true, false},
		{"regex", `/^ad[0-9]+\.example\.com$/`, []Entry{{Regex: `^ad[0-9]+\.example\.com$`}}, false, false},
		{"regex inline comment", `/^ad\./ # ads`, []Entry{{Regex: `^ad\.`}}, false, false},
		{"regex exception", `@@/^good\./`, []Entry{{Regex: `^good\.`, Allow: true}}, false, false},
		{"regex bad", `/(unclosed/`, nil, false, true},
		{"regex backreference rejected by RE2", `/(a)\1/`, nil, false, true},
		{"dnsmasq address", "address=/ads.example.com/", []Entry{d("ads.example.com")}, false, false},
		{"dnsmasq address null", "address=/ads.example.com/0.0.0.0", []Entry{d("ads.example.com")}, false, false},
		{"dnsmasq address many", "address=/a.com/b.com/#", []Entry{d("a.com"), d("b.com")}, false, false},
		{"dnsmasq server", "server=/ads.example.com/", []Entry{d("ads.example.com")}, false, false},
		{"dnsmasq local", "local=/ads.example.com/", []Entry{d("ads.example.com")}, false, false},
		{"dnsmasq server forward", "server=/corp.example/10.0.0.53", nil, true, false},
		{"dnsmasq broken", "address=ads.example.com", nil, false, true},
		{"dnsmasq one slash", "address=/ads.example.com", nil, false, true},
		{"dnsmasq empty domain", "address=/a.com//", []Entry{d("a.com")}, false, false},
		{"rpz block", "ads.example.com CNAME .", []Entry{{Domain: "ads.example.com", Exact: true}}, false, false},
		{"rpz wildcard", "*.ads.example.com CNAME .", []Entry{{Domain: "ads.example.com", Below: true}}, false, false},
		{"rpz ttl class", "ads.example.com 300 IN CNAME .", []Entry{{Domain: "ads.example.com", Exact: true}}, false, false},
		{"rpz passthru", "good.example.com CNAME rpz-passthru.", []Entry{{Domain: "good.example.com", Exact: true, Allow: true}}, false, false},
		{"rpz wildcard passthru", "*.good.example.com CNAME rpz-passthru.", []Entry{{Domain: "good.example.com", Below: true, Allow: true}}, false, false},
		{"rpz inline comment", "ads.example.com CNAME . ; tracker", []Entry{{Domain: "ads.example.com", Exact: true}}, false, false},
		{"rpz nodata", "ads.example.com CNAME *.", nil, true, false},
		{"rpz drop", "ads.example.com CNAME rpz-drop.", nil, true, false},
		{"rpz local data", "ads.example.com A 10.0.0.1", nil, true, false},
		{"rpz soa", "@ IN SOA localhost. root.localhost. ( 1 3600 600 86400 60 )", nil, false, false},
		{"rpz ns", "@ IN NS localhost.", nil, false, false},
		{"rpz ns without owner", " NS localhost.", nil, false, false},
		{"rpz ns without owner ttl", "\t3600 IN NS localhost.", nil, false, false},
		{"rpz cname without owner", " CNAME .", nil, true, false},
		{"rpz soa continuation", "2024010101 ; serial", nil, false, false},
		{"rpz soa close", ")", nil, false, false},
		{"two names", "a.com b.com", nil, false, true},
		{"bad char", "exa mple!.com", nil, false, true},
		{"bare ip", "10.0.0.1", nil, false, true},
		{"empty label", "a..com", nil, false, true},
		{"long label", strings.Repeat("a", 64) + ".com", nil, false, true},
		{"long name", strings.Repeat("abcdefghi.", 26) + "com", nil, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLine(tt.line)
			if skipped := errors.Is(err, ErrUnsupported); skipped != tt.skipped {
				t.Fatalf("ParseLine(%q) error %v, want skipped=%v", tt.line, err, tt.skipped)
			}
			if invalid := err != nil && !errors.Is(err, ErrUnsupported); invalid != tt.invalid {
				t.Fatalf("ParseLine(%q) error %v, want invalid=%v", tt.line, err, tt.invalid)
			}
			for i := range got {
				got[i].plain = false // TestMatchExact covers it
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseLine(%q) = %+v, want %+v", tt.line, got, tt.want)
			}
		})
	}
}

func FuzzParseLine(f *testing.F) {
	for _, s := range []string{
		"tiktok.com", "0.0.0.0 a.com b.com", "||a.com^$important", "@@|b.com^",
		"/^ad[0-9]+\\./", "address=/a.com/", "*.a.com CNAME .", "a.com CNAME rpz-passthru.",
		"bücher.example", "# c", "\ufeffA.COM.\r", "::ffff:1.2.3.4", "fe80::1%eth0 a.com",
		"address=/a//", "local=//", "||ads*.x^$dnstype=~A|AAAA,client=~'a\\'b'|10.0.0.0/8",
		"@@-ds.metric.gstatic.com^|", "||adserver1.", "$denyallow=com|net", "||x^$dnsrewrite=NOERROR;MX;10 mx.x",
		"1.2.3.4 a.com", "address=/a.com/::2", "||x^$ctag=kids|~lab,important", "||x^$badfilter",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if _, err := netip.ParseAddr(line); err == nil && !mayBeAddr(line) {
			t.Fatalf("mayBeAddr rules out the address %q", line)
		}
		entries, err := ParseLine(line)
		if err != nil && len(entries) > 0 && errors.Is(err, ErrUnsupported) {
			t.Fatalf("skipped line %q produced entries %v", line, entries)
		}
		for _, e := range entries {
			if e.ext != nil {
				if e.Domain != "" || e.Regex != "" || len(e.ext.pat.parts) == 0 {
					t.Fatalf("pattern entry %+v from %q", e, line)
				}
				e.ext.pat.match(line) // must not panic
				continue
			}
			if (e.Domain == "") == (e.Regex == "") {
				t.Fatalf("entry %+v from %q has neither or both of domain and regex", e, line)
			}
			if e.Domain == "" {
				continue
			}
			if err := validateDomain(e.Domain); err != nil {
				t.Fatalf("entry %q from %q is not a valid name: %v", e.Domain, line, err)
			}
			if again, err := normalizeDomain(e.Domain); err != nil || again != e.Domain {
				t.Fatalf("normalising %q again gave %q, %v", e.Domain, again, err)
			}
		}
	})
}
