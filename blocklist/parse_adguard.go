package blocklist

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// parseAdblock reads an adblock network rule the way AdGuard's DNS engine
// does. "||name^", "|name^", "://name^", ".name^" and "*.name^" without
// modifiers name a domain (and its subdomains, itself only, or its
// subdomains only) and go to the domain table; other patterns, rules with
// DNS modifiers ($important, $badfilter, $client, $ctag, $dnstype,
// $denyallow, $dnsrewrite) and rewrites become an extRule. Rules for URL
// paths and modifiers without a DNS meaning are skipped, as AdGuard's DNS
// engine skips them.
func parseAdblock(line string, allow bool, emit func(Entry)) error {
	pat, mods, hasMods := strings.Cut(line, "$")
	if pat == "" && !hasMods {
		return errors.New("empty adblock rule")
	}
	if !hasMods {
		if e, ok := plainPattern(pat); ok {
			e.Allow = allow
			return emitDomain(e, emit)
		}
	}
	r := &extRule{allow: allow}
	if hasMods {
		mods = strings.Clone(mods) // the values kept point into it, not into the read buffer
		if err := r.parseModifiers(mods); err != nil {
			return err
		}
	}
	if r.badfilter && r.onlyBadfilter() {
		if e, ok := plainPattern(pat); ok {
			if e.Exact || e.Below {
				// The table keeps one scope mask per name, so it cannot
				// tell "|x^" from the "||x^" beside it: disabling one
				// would disable both.
				return fmt.Errorf("$badfilter of %q: %w", pat, ErrUnsupported)
			}
			e.Allow, e.Off = allow, true
			return emitDomain(e, emit)
		}
	}
	if pat == "" {
		pat = "*" // "$denyallow=com|net" and the like apply to every name
	}
	pt, err := compilePattern(strings.Clone(pat))
	if err != nil {
		if errors.Is(err, errNoMatch) {
			return fmt.Errorf("adblock pattern %q: %w", pat, ErrUnsupported)
		}
		return err
	}
	r.pat = pt
	prefix := ""
	if allow {
		prefix = "@@"
	}
	r.text = prefix + strings.Clone(line)
	r.canon = r.canonical(prefix, pat, mods)
	emit(Entry{ext: r})
	return nil
}

// plainPattern recognises the patterns that name a domain, so that the
// domain table holds them.
func plainPattern(pat string) (Entry, bool) {
	var e Entry
	rest, ok := strings.CutSuffix(pat, "|")
	if r, ok2 := strings.CutSuffix(rest, "^"); ok2 {
		rest, ok = r, true
	}
	if !ok {
		return e, false // no end anchor: "||ads" matches "adserver.com" too
	}
	host, exact := cutHostAnchor(rest)
	switch {
	case exact:
		rest, e.Exact = host, true
	case strings.HasPrefix(rest, "||"):
		rest = rest[2:]
	case strings.HasPrefix(rest, "*."):
		rest, e.Below = rest[2:], true
	case strings.HasPrefix(rest, "."):
		rest, e.Below = rest[1:], true
	default:
		return e, false // unanchored: "ads.com^" matches "badads.com" too
	}
	if rest == "" || strings.ContainsAny(rest, "*|^/:") || rest[0] == '.' {
		return e, false
	}
	e.Domain = rest
	return e, true
}

// emitDomain normalises a domain rule's name and emits it.
func emitDomain(e Entry, emit func(Entry)) error {
	d, err := normalizeDomain(e.Domain)
	if err != nil {
		if p, _ := scanName(strings.TrimSuffix(strings.ToLower(e.Domain), ".")); p == nameNumeric {
			// "||1.2.3.4^": AdGuard matches it as a name, so a query for the
			// address as a name (and names under it) is blocked.
			return emitAddressName(e, emit)
		}
		return err
	}
	e.Domain = d
	emit(e)
	return nil
}

// emitAddressName emits a domain rule whose last label is numeric, which
// the domain table refuses, as a pattern.
func emitAddressName(e Entry, emit func(Entry)) error {
	d := strings.Clone(strings.ToLower(strings.TrimSuffix(e.Domain, "."))) // not the read buffer
	start := anchorLabel
	switch {
	case e.Exact:
		start = anchorHost
	case e.Below:
		d = "." + d
		start = anchorNone
	}
	text := d
	if e.Allow {
		text = "@@" + d
	}
	emit(Entry{ext: &extRule{text: text, canon: text + "$", allow: e.Allow, pat: pattern{start: start, end: true, parts: []string{d}}}})
	return nil
}

// onlyBadfilter reports a $badfilter rule with no other modifier.
func (r *extRule) onlyBadfilter() bool {
	return !r.important && r.cond.empty() && len(r.denyallow) == 0 && len(r.rewrite) == 0 && !r.anyRewrite
}

func (c *conditions) empty() bool {
	return len(c.types)+len(c.notTypes)+len(c.clients)+len(c.notClients)+len(c.tags)+len(c.notTags) == 0
}

// canonical is the rule as a $badfilter rule names it: the pattern and the
// other modifiers, in any order.
func (r *extRule) canonical(prefix, pat, mods string) string {
	var kept []string
	for _, m := range splitUnescaped(mods, ',') {
		if m = strings.TrimSpace(m); m != "" && m != "badfilter" {
			kept = append(kept, m)
		}
	}
	slices.Sort(kept)
	return prefix + strings.ToLower(pat) + "$" + strings.Join(kept, ",")
}

// parseModifiers reads the modifiers after "$". A modifier AdGuard's DNS
// engine does not honour makes the rule skipped, as AdGuard skips it.
func (r *extRule) parseModifiers(mods string) error {
	for _, m := range splitUnescaped(mods, ',') {
		name, value, hasValue := strings.Cut(strings.TrimSpace(m), "=")
		var err error
		switch strings.ToLower(name) {
		case "important":
			r.important = true
		case "badfilter":
			r.badfilter = true
		case "client":
			err = r.cond.parseClients(value)
		case "ctag":
			err = r.cond.parseTags(value)
		case "dnstype":
			err = r.cond.parseTypes(value)
		case "denyallow":
			err = r.parseDenyallow(value)
		case "dnsrewrite":
			err = r.parseRewrite(value, hasValue)
		default:
			return fmt.Errorf("modifier $%s: %w", name, ErrUnsupported)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (r *extRule) parseRewrite(value string, hasValue bool) error {
	if !hasValue || value == "" {
		if !r.allow {
			return errEmptyRewrite
		}
		r.anyRewrite = true
		return nil
	}
	rw, err := parseDNSRewrite(unescape(value))
	if err != nil {
		return err
	}
	r.rewrite = append(r.rewrite, rw)
	return nil
}

func (r *extRule) parseDenyallow(value string) error {
	for _, d := range strings.Split(value, "|") {
		if strings.HasPrefix(d, "~") || strings.Contains(d, "*") {
			return fmt.Errorf("$denyallow %q: no negation or wildcard allowed", d)
		}
		n, err := normalizeDomain(d)
		if err != nil {
			return fmt.Errorf("$denyallow: %w", err)
		}
		r.denyallow = append(r.denyallow, strings.Clone(n))
	}
	return nil
}

func (c *conditions) parseTypes(value string) error {
	for _, v := range strings.Split(value, "|") {
		neg := strings.HasPrefix(v, "~")
		t, ok := dns.StringToType[strings.ToUpper(strings.TrimPrefix(v, "~"))]
		if !ok {
			return fmt.Errorf("$dnstype %q: not a record type", v)
		}
		if neg {
			c.notTypes = append(c.notTypes, t)
		} else {
			c.types = append(c.types, t)
		}
	}
	return nil
}

func (c *conditions) parseTags(value string) error {
	for _, v := range strings.Split(value, "|") {
		neg := strings.HasPrefix(v, "~")
		v = strings.ToLower(strings.TrimPrefix(v, "~"))
		if v == "" {
			return errors.New("$ctag: empty tag")
		}
		if neg {
			c.notTags = append(c.notTags, v)
		} else {
			c.tags = append(c.tags, v)
		}
	}
	return nil
}

// parseClients reads "$client=10.0.0.1|10.1.0.0/16|~'Frank\'s laptop'|kids".
func (c *conditions) parseClients(value string) error {
	for _, v := range splitUnescaped(value, '|') {
		v = strings.TrimSpace(v)
		neg := strings.HasPrefix(v, "~")
		v = strings.TrimPrefix(v, "~")
		id, err := parseClientID(v)
		if err != nil {
			return err
		}
		if neg {
			c.notClients = append(c.notClients, id)
		} else {
			c.clients = append(c.clients, id)
		}
	}
	return nil
}

func parseClientID(v string) (clientID, error) {
	if len(v) >= 2 && (v[0] == '\'' || v[0] == '"') && v[len(v)-1] == v[0] {
		v = v[1 : len(v)-1]
	}
	v = unescape(v)
	if v == "" {
		return clientID{}, errors.New("$client: empty value")
	}
	if p, err := netip.ParsePrefix(v); err == nil {
		return clientID{prefix: p.Masked()}, nil
	}
	if a, err := netip.ParseAddr(v); err == nil {
		a = a.Unmap()
		return clientID{prefix: netip.PrefixFrom(a, a.BitLen())}, nil
	}
	return clientID{name: strings.ToLower(v)}, nil
}

// splitUnescaped splits s at each sep not preceded by a backslash and not
// inside quotes.
func splitUnescaped(s string, sep byte) []string {
	var out []string
	start, quote := 0, byte(0)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			i++
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == sep:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// unescape drops the backslashes of "\,", "\|", "\'" and the like.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
