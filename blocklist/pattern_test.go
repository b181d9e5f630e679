package blocklist

import (
	"regexp"
	"strings"
	"testing"
)

// patternRegexp is what the pattern means, written as a regular
// expression: the reference the fuzz target checks match against.
func patternRegexp(pt pattern) *regexp.Regexp {
	var b strings.Builder
	switch pt.start {
	case anchorHost:
		b.WriteString("^")
	case anchorLabel:
		b.WriteString(`^(?:.*\.)?`)
	}
	for i, p := range pt.parts {
		if i > 0 {
			b.WriteString(".*")
		}
		b.WriteString(regexp.QuoteMeta(p))
	}
	if pt.end {
		b.WriteString("$")
	}
	return regexp.MustCompile(b.String())
}

func TestPatternMatch(t *testing.T) {
	tests := []struct {
		pattern string
		match   []string
		miss    []string
	}{
		{"||adserver1.", []string{"adserver1.com", "a.adserver1.net", "AdServer1.com"}, []string{"adserver1", "xadserver1.com"}},
		{"-ds.metric.gstatic.com^|", []string{"a-ds.metric.gstatic.com"}, []string{"ds.metric.gstatic.com", "a-ds.metric.gstatic.com.x"}},
		{"||a*b.org^", []string{"ab.org", "axxb.org", "s.ab.org"}, []string{"ba.org", "xab.org"}},
		{"://*.x.org^", []string{"a.x.org", "a.b.x.org"}, []string{"x.org", "ax.org"}},
		{"*", []string{"anything", ""}, nil},
		{"ads", []string{"ads.com", "bads.org"}, []string{"ad.com"}},
	}
	for _, tt := range tests {
		pt, err := compilePattern(tt.pattern)
		if err != nil {
			t.Fatalf("%q: %v", tt.pattern, err)
		}
		for _, n := range tt.match {
			if !pt.match(n) {
				t.Errorf("%q does not match %q", tt.pattern, n)
			}
		}
		for _, n := range tt.miss {
			if pt.match(n) {
				t.Errorf("%q matches %q", tt.pattern, n)
			}
		}
	}
}

// FuzzPatternMatch checks the glob matcher against the regular expression
// the pattern means, and that an index key is one every match holds.
func FuzzPatternMatch(f *testing.F) {
	for _, s := range [][2]string{
		{"||adserver1.", "adserver1.com"}, {"-x.y^", "a-x.y"}, {"||a*b*c^", "a.abc"}, {"*.x^", "a.x"},
		{"|a*.b|", "a.b"}, {"://x^", "x"}, {"**", ""}, {"||a.b*c.d.e^", "z.a.bqc.d.e"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, p, name string) {
		pt, err := compilePattern(p)
		if err != nil || len(name) > 300 {
			return
		}
		for i := 0; i < len(name); i++ {
			if c := lowerByte(name[i]); !isNameByte(c) && c != '.' {
				return
			}
		}
		got := pt.match(name)
		if want := patternRegexp(pt).MatchString(strings.ToLower(name)); got != want {
			t.Fatalf("pattern %q (%+v) on %q: %v, want %v", p, pt, name, got, want)
		}
		if !got {
			return
		}
		switch kind, key := pt.indexKey(); kind {
		case keySuffix:
			lower := strings.ToLower(name)
			if lower != key && !strings.HasSuffix(lower, "."+key) {
				t.Fatalf("pattern %q matches %q, which lacks its suffix key %q", p, name, key)
			}
		case keyLabel:
			if !strings.Contains("."+strings.ToLower(name)+".", "."+key+".") {
				t.Fatalf("pattern %q matches %q, which lacks its label key %q", p, name, key)
			}
		}
	})
}
