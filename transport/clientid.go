package transport

import (
	"crypto/tls"
	"strings"
)

// maxClientID bounds an ID: a DNS label's length, for the DoH path too, so
// an ID is the same whichever way a device sends it.
const maxClientID = 63

// ValidClientID reports whether id can name a device: 1 to 63 letters,
// digits and hyphens, not starting or ending with a hyphen (a DNS label, so
// it works in a TLS server name as in a DoH path). IDs are matched
// lowercased.
func ValidClientID(id string) bool {
	if id == "" || len(id) > maxClientID || id[0] == '-' || id[len(id)-1] == '-' {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// SNIClientID returns the function that names a device from its TLS server
// name: "annas-phone" for "annas-phone.dns.example.net" when domain is
// "dns.example.net". The bare domain, other names and invalid labels give
// "". With domain empty no ID is taken: which label is an ID is only known
// against the name the certificate was made for.
func SNIClientID(domain string) func(*tls.ConnectionState) string {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	if domain == "" {
		return nil
	}
	return func(st *tls.ConnectionState) string { return idFromServerName(st.ServerName, domain) }
}

func idFromServerName(name, domain string) string {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	label, rest, ok := strings.Cut(name, ".")
	if !ok || rest != domain || !ValidClientID(label) {
		return ""
	}
	return label
}

// pathClientID returns the ID of a DoH request path: "" for /dns-query,
// the ID for /dns-query/{id}; ok is false for any other path.
func pathClientID(path string) (id string, ok bool) {
	rest, found := strings.CutPrefix(path, dohPath)
	switch {
	case !found:
		return "", false
	case rest == "" || rest == "/":
		return "", true
	}
	id = strings.TrimSuffix(strings.TrimPrefix(rest, "/"), "/")
	if rest[0] != '/' || !ValidClientID(id) {
		return "", false
	}
	return strings.ToLower(id), true
}
