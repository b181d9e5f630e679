package blocklist

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"unsafe"
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
	Skipped      int           // rules in a format cleandns recognises but cannot honour
	Invalid      int           // lines that could not be read
	InvalidLines []InvalidLine // the first few invalid lines
}

// parseList parses a whole list for source src. One bad line never fails a
// list: it is counted and the first few are reported.
func parseList(data []byte, src int) (*part, parseStats) {
	var st parseStats
	lines := bytes.Count(data, []byte{'\n'}) + 1
	p := &part{keys: make([]uint64, 0, lines), flags: make([]uint8, 0, lines)}
	// The list is only read here and the entries are hashed, not kept, so
	// the bytes are viewed as a string instead of copied: a 64 MB list would
	// otherwise cost another 64 MB at the peak of a refresh. Nothing keeps a
	// substring: regex patterns and reported lines are cloned.
	text := unsafe.String(unsafe.SliceData(data), len(data))
	emit := func(e Entry) {
		st.Entries++
		if e.Regex != "" {
			// parseLine compiled the pattern already, so this cannot fail.
			re := regexp.MustCompile(strings.Clone(e.Regex))
			st.Regexes++
			p.regexes = append(p.regexes, regexRule{re: re, src: src, allow: e.Allow})
			return
		}
		p.keys = append(p.keys, nameKey(e.Domain))
		p.flags = append(p.flags, entryFlags(e))
	}
	eachLine(text, func(n int, line, rule string) {
		lineErr := parseLine(rule, emit)
		switch {
		case lineErr == nil:
		case errors.Is(lineErr, ErrUnsupported):
			st.Skipped++
		default:
			st.Invalid++
			if len(st.InvalidLines) < maxReportedInvalid {
				st.InvalidLines = append(st.InvalidLines, InvalidLine{Line: n, Text: strings.Clone(truncate(strings.TrimSpace(line), 200)), Reason: lineErr.Error()})
			}
		}
	})
	return p, st
}

// eachLine calls fn with each line's 1-based number, the line as written,
// and the line to parse: RPZ owners made relative to the zone's $ORIGIN.
func eachLine(text string, fn func(n int, line, rule string)) {
	origin := ""
	for n := 1; text != ""; n++ {
		var line string
		line, text, _ = strings.Cut(text, "\n")
		if rest, ok := strings.CutPrefix(line, "$ORIGIN"); ok {
			origin = strings.ToLower(strings.TrimSpace(stripInlineComment(rest)))
			continue
		}
		fn(n, line, relativeToOrigin(line, origin))
	}
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
