package redact

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"builtin:apps-tiktok", "builtin:apps-tiktok"},
		{"/etc/cleandns/hosts.txt", "/etc/cleandns/hosts.txt"},
		{"9.9.9.9", "9.9.9.9"},
		{"https://lists.example/hosts.txt", "https://lists.example/hosts.txt"},
		{"https://lists.example/hosts.txt?token=SECRET", "https://lists.example/hosts.txt?…"},
		{"https://user:SECRET@lists.example/a.txt", "https://lists.example/a.txt?…"},
		{"https://SECRET@lists.example", "https://lists.example?…"},
		{"https://lists.example/a.txt#SECRET", "https://lists.example/a.txt?…"},
		{"https://dns.example/dns-query?token=SECRET&x=1", "https://dns.example/dns-query?…"},
		{"HTTP://u:SECRET@Lists.Example:8080/a?k=SECRET", "HTTP://Lists.Example:8080/a?…"},
		// Does not parse: a bad port, a space in the password.
		{"http://user:SECRET@127.0.0.1:notaport/list?token=SECRET", "http://127.0.0.1:notaport/list?…"},
		{"http://user:SEC RET@host/list", "http://host/list?…"},
		// tls://'s # is the TLS server name.
		{"tls://1.1.1.1#cloudflare-dns.com", "tls://1.1.1.1#cloudflare-dns.com"},
		{"tls://1.1.1.1:853?SECRET", "tls://1.1.1.1:853?…"},
		{"udp://9.9.9.9:53", "udp://9.9.9.9:53"},
	} {
		if got := URL(tc.in); got != tc.want {
			t.Errorf("URL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestText(t *testing.T) {
	for _, in := range []string{
		`Get "https://user:***@lists.example/a?token=SECRET": dial tcp 127.0.0.1:1: connect: connection refused`,
		`parse "http://user:SECRET@127.0.0.1:notaport/l": invalid port ":notaport" after host`,
		`stopped after 10 redirects: Location http://evil.example/next?token=SECRET`,
		`blocklist "x": https://a.example/l?k=SECRET, then https://b.example/l#SECRET`,
	} {
		if got := Text(in); strings.Contains(got, "SECRET") || !strings.Contains(got, "?…") {
			t.Errorf("Text(%q) = %q", in, got)
		}
	}
	if got := Text("no url here: 10.0.0.1:53"); got != "no url here: 10.0.0.1:53" {
		t.Errorf("Text changed a text without URLs: %q", got)
	}
}

func TestErrorKeepsTheChain(t *testing.T) {
	base := fs.ErrNotExist
	err := Error(errors.Join(errors.New("Get \"https://h/l?token=SECRET\""), base))
	if strings.Contains(err.Error(), "SECRET") || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Error: %q, Is(ErrNotExist) %v", err, errors.Is(err, fs.ErrNotExist))
	}
	if plain := errors.New("plain"); Error(plain) != plain || Error(nil) != nil {
		t.Error("Error wrapped an error with nothing to redact")
	}
}

func TestQuery(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"duration=5m&group=kids", "duration=5m&group=kids"},
		{"duration=5m&token=SECRET", "duration=5m&token=…"},
		{"api_key=SECRET&Password=SECRET", "api_key=…&Password=…"},
		{"url=" + "https%3A%2F%2Fu%3ASECRET%40h%2Fl%3Ftoken%3DSECRET", "url=https%3A%2F%2Fh%2Fl%3F%E2%80%A6"},
		{"", ""},
	} {
		if got := Query(tc.in); got != tc.want {
			t.Errorf("Query(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
