package blocklist

import (
	"errors"
	"strings"
)

// Anchors at the start of an adblock pattern, as AdGuard reads them against
// a host name.
const (
	anchorNone  uint8 = iota // anywhere in the name
	anchorLabel              // "||": at the start of the name or of one of its labels
	anchorHost               // "|" or "://": at the start of the name only
)

// maxPatternLen bounds a pattern; names stop at 253 characters, so a longer
// pattern can only be a mistake, and matching costs its length.
const maxPatternLen = 512

// pattern is an adblock network pattern that is not a plain domain:
// "||ad*.example^", "-logging.example.com^", "||adserver.". It matches a
// host name the way AdGuard's engine matches "http://"+name: "*" is any run
// of characters and "^" (a separator) can only be the end of a name, since
// the characters of names are none of them separators.
type pattern struct {
	start uint8
	end   bool     // "^" or "|" at the end: the name ends where the pattern does
	parts []string // lower-case literals between the "*"s; the first and last may be ""
}

// errNoMatch marks a pattern that can match no name (a "^" or "|" inside it).
var errNoMatch = errors.New("pattern matches no name")

// compilePattern reads the pattern part of an adblock rule, without "@@"
// and modifiers. It keeps substrings of p; callers clone p first.
func compilePattern(p string) (pattern, error) {
	var pt pattern
	if len(p) > maxPatternLen {
		return pt, errors.New("pattern longer than 512 characters")
	}
	if rest, ok := cutHostAnchor(p); ok {
		pt.start, p = anchorHost, rest
	} else if rest, ok := strings.CutPrefix(p, "||"); ok {
		pt.start, p = anchorLabel, rest
	}
	if rest, ok := strings.CutSuffix(p, "|"); ok {
		p, pt.end = rest, true
	}
	if rest, ok := strings.CutSuffix(p, "^"); ok {
		p, pt.end = rest, true
	}
	if strings.ContainsAny(p, "^|") {
		return pt, errNoMatch
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c != '*' && !isNameByte(lowerByte(c)) && c != '.' {
			return pt, errNoMatch
		}
	}
	pt.parts = strings.Split(strings.ToLower(p), "*")
	return pt, nil
}

// cutHostAnchor removes what anchors a pattern at the start of the name:
// "|", or the end of the "http://" AdGuard's engine puts before it ("://",
// "http://"). AdGuard's engine matches no name with "//", "|http://" or
// "https://" rules (bench/urlfilter checks it): they stay, and make the
// pattern match nothing.
func cutHostAnchor(p string) (string, bool) {
	if strings.HasPrefix(p, "//") || strings.HasPrefix(p, "|http://") {
		return p, false
	}
	for _, prefix := range [...]string{"http://", "://"} {
		if rest, ok := strings.CutPrefix(p, prefix); ok {
			return rest, true
		}
	}
	if strings.HasPrefix(p, "|") && !strings.HasPrefix(p, "||") {
		return p[1:], true
	}
	return p, false
}

// match reports whether the pattern matches name, in any case. It
// allocates nothing: literals are compared with the name's case folded.
func (pt *pattern) match(name string) bool {
	parts := pt.parts
	first := parts[0]
	if len(parts) == 1 {
		return pt.matchFirst(name, first, pt.end)
	}
	if last := parts[len(parts)-1]; pt.end && !hasFoldAt(name, len(name)-len(last), last) {
		return false // the cheap test first: most names end otherwise
	}
	// Place the first literal at each position its anchor allows, then the
	// rest greedily: leftmost placement of each middle literal is optimal
	// for a glob, and the last is tried at the end when the pattern is
	// anchored there.
	for at := 0; at <= len(name); at = pt.nextStart(name, at) {
		if !pt.startsAt(name, at) || !hasFoldAt(name, at, first) {
			continue
		}
		if matchRest(name[at+len(first):], parts[1:], pt.end) {
			return true
		}
		if pt.start == anchorHost {
			return false
		}
	}
	return false
}

// matchFirst matches a pattern without "*".
func (pt *pattern) matchFirst(name, lit string, end bool) bool {
	if end {
		at := len(name) - len(lit)
		return at >= 0 && pt.startsAt(name, at) && hasFoldAt(name, at, lit)
	}
	for at := 0; at+len(lit) <= len(name); at = pt.nextStart(name, at) {
		if pt.startsAt(name, at) && hasFoldAt(name, at, lit) {
			return true
		}
		if pt.start == anchorHost {
			return false
		}
	}
	return false
}

// nextStart is the next offset after at where the start anchor may allow a
// match: for "||", the start of the next label.
func (pt *pattern) nextStart(name string, at int) int {
	if pt.start != anchorLabel {
		return at + 1
	}
	if i := strings.IndexByte(name[at:], '.'); i >= 0 {
		return at + i + 1
	}
	return len(name) + 1
}

// startsAt reports whether the start anchor allows a match at offset at.
func (pt *pattern) startsAt(name string, at int) bool {
	switch pt.start {
	case anchorHost:
		return at == 0
	case anchorLabel:
		return at == 0 || name[at-1] == '.'
	}
	return true
}

// matchRest matches the literals after a "*" against s.
func matchRest(s string, parts []string, end bool) bool {
	last := parts[len(parts)-1]
	for _, lit := range parts[:len(parts)-1] {
		i := indexFold(s, lit)
		if i < 0 {
			return false
		}
		s = s[i+len(lit):]
	}
	if end {
		return len(s) >= len(last) && hasFoldAt(s, len(s)-len(last), last)
	}
	return indexFold(s, last) >= 0
}

// hasFoldAt reports whether s holds lit (lower case) at offset at.
func hasFoldAt(s string, at int, lit string) bool {
	if at < 0 || at+len(lit) > len(s) {
		return false
	}
	for i := 0; i < len(lit); i++ {
		if lowerByte(s[at+i]) != lit[i] {
			return false
		}
	}
	return true
}

func indexFold(s, lit string) int {
	for at := 0; at+len(lit) <= len(s); at++ {
		if hasFoldAt(s, at, lit) {
			return at
		}
	}
	return -1
}

// Kinds of index key a pattern can be found by.
const (
	keyScan   uint8 = iota // none: tried for every name
	keySuffix              // a label-aligned suffix every matching name has
	keyLabel               // a whole label every matching name has
)

// indexKey returns what every name the pattern matches must contain, so
// that a lookup tries only the patterns its name can match: a suffix of
// whole labels (for "-ds.metric.gstatic.com^": "metric.gstatic.com"), or a
// whole label (for "||adserver1.": "adserver1").
func (pt *pattern) indexKey() (uint8, string) {
	last := pt.parts[len(pt.parts)-1]
	if pt.end {
		if len(pt.parts) == 1 && pt.start != anchorNone && validSuffix(last) {
			return keySuffix, last
		}
		if _, after, ok := strings.Cut(last, "."); ok && validSuffix(after) {
			return keySuffix, after
		}
	}
	first := pt.parts[0]
	if pt.start != anchorNone {
		if label, _, ok := strings.Cut(first, "."); ok && validLabel(label) {
			return keyLabel, label
		}
	}
	for _, part := range pt.parts {
		// A literal ".label." holds a whole label wherever it lands.
		if _, rest, ok := strings.Cut(part, "."); ok {
			if label, _, ok := strings.Cut(rest, "."); ok && validLabel(label) {
				return keyLabel, label
			}
		}
	}
	return keyScan, ""
}

func validSuffix(s string) bool {
	p, _ := scanName(s)
	return s != "" && (p == nameOK || p == nameNumeric)
}

func validLabel(s string) bool {
	return s != "" && !strings.Contains(s, ".") && validSuffix(s)
}
