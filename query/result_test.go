package query

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestOpenAPIResultsMatch keeps the API's published enum and the Go list
// one list: the metrics label, the query log and the API all use String.
func TestOpenAPIResultsMatch(t *testing.T) {
	b, err := os.ReadFile("../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^    Result:\n      type: string\n      enum: \[([^\]]*)\]`).FindSubmatch(b)
	if m == nil {
		t.Fatal("docs/openapi.yaml: no Result schema with an enum")
	}
	var got []string
	for _, s := range strings.Split(string(m[1]), ",") {
		got = append(got, strings.TrimSpace(s))
	}
	if want := ResultLabels(); !slices.Equal(got, want) {
		t.Errorf("openapi Result enum %v, Go results %v", got, want)
	}
}

func TestResultLabelsRoundTrip(t *testing.T) {
	for _, s := range ResultLabels() {
		r, ok := ParseResult(s)
		if !ok || r.String() != s {
			t.Errorf("ParseResult(%q) = %v, %v", s, r, ok)
		}
	}
	if _, ok := ParseResult("unknown"); ok {
		t.Error(`ParseResult("unknown") succeeded`)
	}
	if got := Result(200).String(); got != "unknown" {
		t.Errorf("Result(200) = %q", got)
	}
}
