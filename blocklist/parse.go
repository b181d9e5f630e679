package blocklist

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// Match scopes of a domain rule. A plain entry covers both; RPZ and adblock
// syntax can name only one.
const (
	scopeSelf  uint8 = 1 << iota // the name itself
	scopeBelow                   // every name below it
	scopeBoth  = scopeSelf | scopeBelow
)

// Entry is one rule parsed from a list line.
type Entry struct {
	Domain string // normalised domain; empty for a regex rule
	Regex  string // RE2 pattern of a /regex/ rule; empty for a domain rule
	Exact  bool   // the rule names Domain only, not its subdomains
	Below  bool   // the rule names the subdomains of Domain only (RPZ "*.name")
	Allow  bool   // an exception (@@ or rpz-passthru.)
	// Off marks a $badfilter rule: it disables the rule of the same
	// Domain, scope and Allow in every list of a policy that holds it.
	Off bool
	// ext is a rule the domain table cannot hold (a pattern, modifiers, a
	// rewrite); Domain and Regex are empty then.
	ext *extRule
	// plain marks a plain domain or hosts line, whose scope a list's
	// `match: exact` narrows to the name itself.
	plain bool
}

// scope returns which names relative to Domain the entry covers.
func (e Entry) scope() uint8 {
	switch {
	case e.Exact:
		return scopeSelf
	case e.Below:
		return scopeBelow
	}
	return scopeBoth
}

// ErrUnsupported marks a line in a format cleandns recognises but cannot honour
// (adblock modifiers, cosmetic filters, RPZ actions other than NXDOMAIN and
// passthru, dnsmasq forwarding): counted as skipped rather than misread.
var ErrUnsupported = errors.New("unsupported rule")

// maxRegexLen bounds a regex rule; RE2 is linear in the input, but compiling a
// huge pattern still costs memory.
const maxRegexLen = 1024

// ParseLine parses one list line, auto-detecting its format. It returns no
// entries and a nil error for blank and comment lines, an error wrapping
// ErrUnsupported for rules it deliberately skips, and another error for lines
// it cannot read.
func ParseLine(line string) ([]Entry, error) {
	var out []Entry
	err := parseLine(line, func(e Entry) { out = append(out, e) })
	return out, err
}

// parseLine is ParseLine without the slice: emit is called once per entry, so
// loading a million-line list allocates nothing per line.
func parseLine(line string, emit func(Entry)) error {
	line = strings.TrimPrefix(line, "\ufeff")
	line = strings.TrimSpace(line)
	if line == "" || strings.ContainsRune("#!;[$", rune(line[0])) {
		// Comments of every format, the "[Adblock Plus 2.0]" header and zone
		// file directives ($TTL, $ORIGIN) carry no rule.
		return nil
	}
	allow := false
	if rest, ok := strings.CutPrefix(line, "@@"); ok {
		line, allow = rest, true
	}
	if isRegexRule(line) {
		return parseRegex(line, allow, emit)
	}
	line = stripInlineComment(line)
	if line == "" {
		return nil
	}
	if isRegexRule(line) {
		return parseRegex(line, allow, emit)
	}
	switch {
	case isCosmetic(line):
		return fmt.Errorf("cosmetic filter: %w", ErrUnsupported)
	case allow || line[0] == '|' || line[0] == '.' || strings.HasSuffix(line, "^") || strings.HasSuffix(line, "^|") ||
		strings.HasPrefix(line, "://") || strings.HasPrefix(line, "//") || strings.HasPrefix(line, "http://") ||
		strings.ContainsRune(line, '$'):
		return parseAdblock(line, allow, emit)
	case strings.HasPrefix(line, "address=/"), strings.HasPrefix(line, "server=/"), strings.HasPrefix(line, "local=/"):
		return parseDnsmasq(line, emit)
	}
	if strings.IndexByte(line, ' ') < 0 && strings.IndexByte(line, '\t') < 0 {
		return parsePlain(line, emit) // the common case, without allocating fields
	}
	// strings.Fields would allocate a slice per line: 1M garbage slices per
	// reading of a hosts file, which is read twice per load. The fields of
	// a rule fit an array on the stack.
	var buf [16]string
	fields := buf[:0]
	for f := range strings.FieldsSeq(line) {
		fields = append(fields, f)
	}
	if len(fields) > 1 {
		if mayBeAddr(fields[0]) {
			if addr, err := netip.ParseAddr(fields[0]); err == nil {
				return parseHosts(addr, fields[1:], emit)
			}
		}
		if allZoneNumbers(fields) {
			return nil
		}
		return parseRPZ(fields, emit)
	}
	return parsePlain(fields[0], emit)
}

// mayBeAddr is false for what netip.ParseAddr surely rejects, so that an
// RPZ owner is not given to it: its error allocates, once a line. An IPv6
// address has a ':'; an IPv4 address is digits and dots.
func mayBeAddr(s string) bool {
	if strings.IndexByte(s, ':') >= 0 {
		return true
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && c != '.' {
			return false
		}
	}
	return true
}

// stripInlineComment drops a trailing "# ..." or "; ..." comment. A comment
// needs whitespace before it, so the "#" of cosmetic filters is kept.
func stripInlineComment(line string) string {
	for i := 1; i < len(line); i++ {
		if (line[i] == '#' || line[i] == ';') && (line[i-1] == ' ' || line[i-1] == '\t') {
			return strings.TrimSpace(line[:i])
		}
	}
	return line
}

func parsePlain(name string, emit func(Entry)) error {
	e := Entry{}
	if rest, ok := strings.CutPrefix(name, "*."); ok {
		// A wildcard line in a plain list means the name and its subdomains,
		// as blocky and AdGuard Home read it; only RPZ gives "*." its stricter
		// subdomains-only meaning.
		name = rest
	}
	if isLocalName(name) {
		return nil
	}
	if isZoneNumber(name) {
		return nil
	}
	d, err := normalizeDomain(name)
	if err != nil {
		return err
	}
	e.Domain, e.plain = d, true
	emit(e)
	return nil
}

// isZoneNumber reports the bare numbers and parentheses of a multi-line SOA
// record in an RPZ file.
func allZoneNumbers(fields []string) bool {
	for _, f := range fields {
		if !isZoneNumber(f) {
			return false
		}
	}
	return true
}

func isZoneNumber(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && c != '(' && c != ')' {
			return false
		}
	}
	return true
}

// parseHosts reads the names of a hosts line. A null or loopback address
// blocks them (and their subdomains); a real address rewrites each name
// itself to it, as the hosts file meant.
func parseHosts(addr netip.Addr, names []string, emit func(Entry)) error {
	var first error
	rewrite := !isNullAddr(addr)
	for _, name := range names {
		if strings.HasPrefix(name, "#") {
			break // an inline comment without a space before it
		}
		if isLocalName(name) {
			continue
		}
		d, err := normalizeDomain(name)
		if err != nil {
			if first == nil {
				first = fmt.Errorf("hosts entry %q: %w", name, err)
			}
			continue
		}
		if rewrite {
			emit(Entry{ext: addressRule(d, anchorHost, addr, name)})
			continue
		}
		emit(Entry{Domain: d, plain: true})
	}
	return first
}

// isNullAddr reports the addresses hosts files block with.
func isNullAddr(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsUnspecified() || a.IsLoopback()
}

// isCosmetic reports element hiding, CSS, scriptlet and HTML filtering
// rules: they act in a browser and have no DNS meaning.
func isCosmetic(line string) bool {
	for _, sep := range [...]string{"##", "#@#", "#?#", "#@?#", "#$#", "#@$#", "#%#", "#@%#", "$$", "$@$"} {
		if strings.Contains(line, sep) {
			return true
		}
	}
	return false
}

func isRegexRule(line string) bool {
	return len(line) >= 3 && line[0] == '/' && line[len(line)-1] == '/'
}

func parseRegex(line string, allow bool, emit func(Entry)) error {
	pattern := line[1 : len(line)-1]
	if len(pattern) > maxRegexLen {
		return fmt.Errorf("regex longer than %d characters", maxRegexLen)
	}
	if _, err := regexp.Compile(pattern); err != nil {
		return fmt.Errorf("regex: %w", err)
	}
	emit(Entry{Regex: pattern, Allow: allow})
	return nil
}
