package blocklist

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// seenLine is one call of eachLine's callbacks, copied.
type seenLine struct {
	N          int
	Line, Rule string
	TooLong    bool
}

// readLines collects what eachLine passes on for r.
func readLines(r io.Reader) ([]seenLine, error) {
	var out []seenLine
	err := eachLine(r, func(n int, line, rule string) {
		out = append(out, seenLine{n, strings.Clone(line), strings.Clone(rule), false})
	}, func(n int, start string) {
		out = append(out, seenLine{n, strings.Clone(start[:20]), "", true})
	})
	return out, err
}

// wholeTextLines is how lines were cut when a list was read whole: the
// reference the streamed reading must agree with.
func wholeTextLines(text string) []seenLine {
	var out []seenLine
	origin := ""
	for n := 1; text != ""; n++ {
		var line string
		line, text, _ = strings.Cut(text, "\n")
		if len(line) > maxLineBytes {
			out = append(out, seenLine{n, line[:20], "", true})
			continue
		}
		if rest, ok := strings.CutPrefix(line, "$ORIGIN"); ok {
			origin = strings.ToLower(strings.TrimSpace(stripInlineComment(rest)))
			continue
		}
		out = append(out, seenLine{n, line, relativeToOrigin(line, origin), false})
	}
	return out
}

// readers are ways a list arrives: whole, a byte at a time (every line split
// across reads), in halves, and with the end of data signalled early.
var readers = []struct {
	name string
	wrap func(io.Reader) io.Reader
}{
	{"whole", func(r io.Reader) io.Reader { return r }},
	{"one byte", iotest.OneByteReader},
	{"halves", iotest.HalfReader},
	{"eof with data", iotest.DataErrReader},
}

func TestEachLineMatchesWholeText(t *testing.T) {
	long := strings.Repeat("x", maxLineBytes)
	tests := []struct{ name, text string }{
		{"empty", ""},
		{"one line", "a.com\n"},
		{"last line without newline", "a.com\nb.com"},
		{"blank lines", "\n\na.com\n\n"},
		{"crlf", "a.com\r\nb.com\r\n"},
		{"bom at start", "\ufeffa.com\nb.com\n"},
		{"origin", "$ORIGIN rpz.example.\r\nads.example.rpz.example. CNAME .\nx CNAME .\n"},
		{"line at the limit", "a.com\n" + long + "\nb.com\n"},
		{"line at the limit, last", "a.com\n" + long},
		{"line over the limit", "a.com\n" + long + "y\nb.com\n"},
		{"line far over the limit", "a.com\n" + long + long + long + "\nb.com\n"},
		{"long line last, no newline", "a.com\n" + long + long},
		{"long line of newline only", long + "\n\n"},
	}
	for _, tt := range tests {
		for _, rd := range readers {
			t.Run(tt.name+"/"+rd.name, func(t *testing.T) {
				got, err := readLines(rd.wrap(strings.NewReader(tt.text)))
				if err != nil {
					t.Fatal(err)
				}
				if want := wholeTextLines(tt.text); !reflect.DeepEqual(got, want) {
					t.Errorf("streamed lines\n%s\nwant\n%s", brief(got), brief(want))
				}
			})
		}
	}
}

// brief prints lines without the bulk of long ones.
func brief(lines []seenLine) string {
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "  %d %q %q long=%v\n", l.N, truncate(l.Line, 40), truncate(l.Rule, 40), l.TooLong)
	}
	return b.String()
}

func TestParseListLongLine(t *testing.T) {
	hosts := "0.0.0.0"
	for i := 0; len(hosts)+20 < maxLineBytes; i++ {
		hosts += fmt.Sprintf(" h%05d.example", i)
	}
	text := "a.com\n" + hosts + "\n" + strings.Repeat("b", maxLineBytes+1) + "\nc.com"
	var domains int
	st, err := parseList(iotest.HalfReader(strings.NewReader(text)), func(e Entry) { domains++ })
	if err != nil {
		t.Fatal(err)
	}
	wantHosts := strings.Count(hosts, " ")
	if st.Entries != 2+wantHosts || domains != st.Entries {
		t.Errorf("%d entries (%d emitted), want %d", st.Entries, domains, 2+wantHosts)
	}
	if st.Invalid != 1 || st.InvalidLines[0].Line != 3 || st.InvalidLines[0].Reason != errLongLine.Error() || len(st.InvalidLines[0].Text) > 210 {
		t.Errorf("invalid lines %+v, want line 3 too long, its text cut", st.InvalidLines)
	}
}

func TestParseListReadError(t *testing.T) {
	broken := errors.New("disk on fire")
	r := io.MultiReader(strings.NewReader("a.com\nb.c"), iotest.ErrReader(broken))
	if _, err := parseList(r, func(Entry) {}); !errors.Is(err, broken) {
		t.Errorf("error %v, want the read error", err)
	}
}

// FuzzEachLine checks streamed reading against the whole-text reference for
// any text, read a byte at a time.
func FuzzEachLine(f *testing.F) {
	for _, s := range []string{"a\nb", "\ufeffA.com\r\n\r\n", "$ORIGIN z.\nx.z. CNAME .\n", "\n\n\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got, err := readLines(iotest.OneByteReader(strings.NewReader(text)))
		if err != nil {
			t.Fatal(err)
		}
		if want := wholeTextLines(text); !reflect.DeepEqual(got, want) {
			t.Errorf("text %q: streamed lines\n%s\nwant\n%s", text, brief(got), brief(want))
		}
	})
}

func TestParseListStreamed(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"bom at start", "\ufeffa.com\nb.com\n", []string{"a.com", "b.com"}},
		{"crlf", "a.com\r\n0.0.0.0 b.com\r\n||c.com^\r\n", []string{"a.com", "b.com", "c.com"}},
		{"last line without newline", "a.com\nb.com", []string{"a.com", "b.com"}},
		{"comment last, no newline", "a.com\n# end", []string{"a.com"}},
		{"origin over crlf", "$ORIGIN rpz.example.\r\nads.example.rpz.example. CNAME .\r\n", []string{"ads.example"}},
	}
	for _, tt := range tests {
		for _, rd := range readers {
			t.Run(tt.name+"/"+rd.name, func(t *testing.T) {
				var got []string
				st, err := parseList(rd.wrap(strings.NewReader(tt.text)), func(e Entry) { got = append(got, strings.Clone(e.Domain)) })
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, tt.want) || st.Entries != len(tt.want) || st.Invalid != 0 {
					t.Errorf("entries %q, stats %+v; want %q", got, st, tt.want)
				}
			})
		}
	}
}

// TestParseListAllocs: reading a list allocates per list, never per line,
// whatever its format. Garbage made per line would count in the heap of a
// refresh as surely as the list text did: 1M lines of garbage per reading,
// and a list is read twice.
func TestParseListAllocs(t *testing.T) {
	formats := map[string]string{
		"plain":   "n%d.example\n",
		"hosts":   "0.0.0.0 n%d.example\n",
		"hosts2":  "127.0.0.1\tn%d.example m%[1]d.example # two\n",
		"adblock": "||n%d.example^\n",
		"dnsmasq": "address=/n%d.example/m%[1]d.example/0.0.0.0\n",
		"rpz":     "n%d.example CNAME .\n",
		"comment": "# n%d.example\n",
	}
	for name, format := range formats {
		t.Run(name, func(t *testing.T) {
			var text strings.Builder
			for i := range 1000 {
				fmt.Fprintf(&text, format, i)
			}
			r := strings.NewReader(text.String())
			allocs := testing.AllocsPerRun(5, func() {
				r.Seek(0, io.SeekStart)
				if _, err := parseList(r, func(Entry) {}); err != nil {
					t.Fatal(err)
				}
			})
			if allocs > 10 {
				t.Errorf("%v allocations to read 1,000 lines", allocs)
			}
		})
	}
}
