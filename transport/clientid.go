package transport

import (
	"crypto/tls"
	"strings"

	"github.com/cleandns/cleandns/query"
)

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
	if !ok || rest != domain || !query.ValidClientID(label) {
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
	if rest[0] != '/' || !query.ValidClientID(id) {
		return "", false
	}
	return strings.ToLower(id), true
}
