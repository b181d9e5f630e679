// Package redact removes the secrets URLs carry (user information, query
// values such as tokens, fragments) from whatever cleandns shows: metric
// labels, the status API, /readyz, logs, errors, check-config output and
// files it writes. It is the one place that decides what a shown URL looks
// like, so every surface hides the same parts.
package redact

import (
	"net/url"
	"regexp"
	"strings"
)

// Marker replaces what was removed, so a reader sees that something was.
const Marker = "?…"

// URL returns s without its user information, query and fragment when s
// is a URL (scheme://...); anything else comes back as it is. It does not
// parse s, so a URL that does not parse (a bad port, a space) is redacted
// too. tls:// keeps its "#name": there it is the TLS server name, not a
// fragment.
func URL(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || !isScheme(scheme) {
		return s
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	removed := false
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		authority, removed = authority[at+1:], true
	}
	cut := "?#"
	if strings.EqualFold(scheme, "tls") {
		cut = "?"
	}
	if i := strings.IndexAny(tail, cut); i >= 0 {
		tail, removed = tail[:i], true
	}
	out := scheme + "://" + authority + tail
	if removed {
		out += Marker
	}
	return out
}

// isScheme says whether s is a URL scheme (RFC 3986 §3.1).
func isScheme(s string) bool {
	if s == "" || !isLetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isLetter(c) && (c < '0' || c > '9') && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// inText finds the URLs quoted in a text: net/http's url.Error writes
// `Get "URL": ...`, a redirect's Location comes quoted or bare.
var inText = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.\-]*://[^\s"'<>` + "`" + `]+`)

// Text redacts every URL in s, as URL does.
func Text(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	return inText.ReplaceAllStringFunc(s, URL)
}

// Error returns err with the URLs in its text redacted. errors.Is and
// errors.As still see the original chain; only the text changes.
func Error(err error) error {
	if err == nil {
		return nil
	}
	text := Text(err.Error())
	if text == err.Error() {
		return err
	}
	return &redacted{text: text, err: err}
}

type redacted struct {
	text string
	err  error
}

func (e *redacted) Error() string { return e.text }
func (e *redacted) Unwrap() error { return e.err }

// Strings redacts each of ss, for logging a list of URLs.
func Strings(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = URL(s)
	}
	return out
}

// secretKeys are query parameters whose values are never shown.
var secretKeys = []string{"token", "password", "passwd", "secret", "key", "auth", "sig", "signature", "credential", "session"}

// Query redacts a raw query string, such as an audit log's parameters: the
// values of secret-looking keys (token, password, key, ...) become "…" and
// URLs in values are redacted as URL does. Other parameters stay readable.
func Query(raw string) string {
	if raw == "" {
		return raw
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if isSecretKey(name) {
			parts[i] = k + "=…"
			continue
		}
		if val, err := url.QueryUnescape(v); err == nil && strings.Contains(val, "://") {
			parts[i] = k + "=" + url.QueryEscape(Text(val))
		}
	}
	return strings.Join(parts, "&")
}

func isSecretKey(name string) bool {
	name = strings.ToLower(name)
	for _, s := range secretKeys {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}
