package blocklist

import (
	"errors"
	"io"
	"strings"
)

// maxReportedInvalid is how many invalid lines a list status keeps verbatim.
const maxReportedInvalid = 5

// InvalidLine is a line a list could not use, kept so users can fix it.
type InvalidLine struct {
	Line   int    // 1-based line number
	Text   string // the line, truncated to 200 characters
	Reason string
}

// parseStats counts what a list held.
type parseStats struct {
	Entries      int           // domain and regex rules loaded
	Regexes      int           // of which regex rules
	Patterns     int           // of which patterns, modifier rules and rewrites (the extSet)
	Skipped      int           // rules in a format cleandns recognises but cannot honour
	Invalid      int           // lines that could not be read
	InvalidLines []InvalidLine // the first few invalid lines
}

// parseList reads a list from r line by line and passes each rule to emit.
// One bad line never fails a list: it is counted and the first few are
// reported; only a read error does. The strings of an Entry point into the
// read buffer, so emit must clone what it keeps.
func parseList(r io.Reader, emit func(Entry)) (parseStats, error) {
	var st parseStats
	count := func(e Entry) {
		if e.ext != nil {
			if st.Patterns == maxExtRules {
				st.Skipped++
				return
			}
			st.Patterns++
		}
		st.Entries++
		if e.Regex != "" {
			st.Regexes++
		}
		emit(e)
	}
	invalid := func(n int, line, reason string) {
		st.Invalid++
		if len(st.InvalidLines) < maxReportedInvalid {
			st.InvalidLines = append(st.InvalidLines, InvalidLine{Line: n, Text: strings.Clone(truncate(strings.TrimSpace(line), 200)), Reason: reason})
		}
	}
	err := eachLine(r, func(n int, line, rule string) {
		lineErr := parseLine(rule, count)
		switch {
		case lineErr == nil:
		case errors.Is(lineErr, ErrUnsupported):
			st.Skipped++
		default:
			invalid(n, line, lineErr.Error())
		}
	}, func(n int, start string) { invalid(n, start, errLongLine.Error()) })
	return st, err
}

// countRules reads a list through to count its domain rules, so the next
// step can allocate exactly what they need.
func countRules(r io.Reader) (int, error) {
	n := 0
	_, err := parseList(r, func(e Entry) {
		if e.Regex == "" && e.ext == nil {
			n++
		}
	})
	return n, err
}

// relativeToOrigin rewrites an RPZ record whose owner is written absolute
// under the zone's $ORIGIN ("ads.example.rpz.local. CNAME .") to the name it
// triggers on ("ads.example"). Relative owners already are that name.
func relativeToOrigin(line, origin string) string {
	if origin == "" || origin == "." {
		return line
	}
	owner, rest, ok := strings.Cut(strings.TrimLeft(line, " \t"), " ")
	if !ok {
		return line
	}
	if name, ok := strings.CutSuffix(strings.ToLower(owner), "."+origin); ok && strings.HasSuffix(origin, ".") {
		return name + " " + rest
	}
	return line
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
