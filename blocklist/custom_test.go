package blocklist

import (
	"strings"
	"testing"
)

func TestNormalizeName(t *testing.T) {
	for in, want := range map[string]string{
		"Example.COM.": "example.com", "bücher.example": "xn--bcher-kva.example", "_dmarc.example.org": "_dmarc.example.org",
	} {
		if got, err := NormalizeName(in); err != nil || got != want {
			t.Errorf("NormalizeName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "not a domain", "com", "com.", "a\x00.com", "a.com\nb.com", " a.com", "a..com", "1.2.3.4", "ex!ample.com"} {
		if got, err := NormalizeName(bad); err == nil {
			t.Errorf("NormalizeName(%q) = %q, want an error", bad, got)
		}
	}
}

func TestValidateRule(t *testing.T) {
	for _, ok := range []string{"||ads.example^", "@@||ok.example^", "||com^", "||x^$dnsrewrite=1.2.3.4", "0.0.0.0 a.example", "/^ad[0-9]+\\./"} {
		if err := ValidateRule(ok); err != nil {
			t.Errorf("ValidateRule(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "! comment", "example.com##.ad", "||x^$third-party", "a\nb", "not a rule at all", "||x^\x00"} {
		if err := ValidateRule(bad); err == nil {
			t.Errorf("ValidateRule(%q) accepted", bad)
		}
	}
}

func TestCompile(t *testing.T) {
	m, err := Compile("runtime-rules", []string{"||ads.example^", "@@||ok.ads.example^", "||rw.example^$dnsrewrite=REFUSED"})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"x.ads.example": "block", "ok.ads.example": "allow", "rw.example": "rewrite REFUSED", "other.example": "none"} {
		d := m.MatchQuery(Query{Name: name, Type: 1})
		if got := verdictOf(d); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
		if want == "block" && (d.Rule.List != "runtime-rules" || d.Rule.EDE != 15) {
			t.Errorf("%s: rule %+v, want list runtime-rules and EDE 15", name, d.Rule)
		}
	}
	if m, err := Compile("empty", nil); err != nil || strings.Contains(verdictOf(m.MatchQuery(Query{Name: "a.example"})), "block") {
		t.Errorf("an empty compile: %v", err)
	}
}
