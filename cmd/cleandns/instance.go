package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"

	"github.com/cleandns/cleandns/config"
)

// instance says which running cleandns a remote command talks to, and why
// that one: an admin who runs `cleandns -c lab.yaml pause 5m` must pause the
// lab instance, not whatever listens on the default port.
type instance struct {
	URL    string // base URL of its HTTP listener
	Origin string // where the address came from, for the "talking to" line
}

// resolveInstance picks the address: --server when given, else the
// http.listen of --config (with --http on top), else the embedded default's.
func resolveInstance(server string, serverSet bool, f *flags) (instance, error) {
	if serverSet {
		return instance{URL: baseURL(server), Origin: "--server"}, nil
	}
	if f == nil || (f.config == "" && f.http == "") {
		listen := config.Default().HTTP.Listen
		return instance{URL: baseURL(dialable(listen)), Origin: "the default config's http.listen"}, nil
	}
	cfg, err := loadConfig(f)
	if err != nil {
		return instance{}, fmt.Errorf("finding the instance to talk to: %w", err)
	}
	origin := "http.listen of " + f.config
	if f.http != "" {
		origin = "--http"
	}
	if cfg.HTTP.Listen == "" {
		return instance{}, errors.New(origin + " is empty: that instance serves no API; pass --server")
	}
	return instance{URL: baseURL(dialable(cfg.HTTP.Listen)), Origin: origin}, nil
}

// dialable turns a listen address into one a client can reach: a wildcard
// host (0.0.0.0, [::] or none) is reached on loopback.
func dialable(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if host == "" {
		return net.JoinHostPort("127.0.0.1", port)
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsUnspecified() {
		if ip.Is4() {
			return net.JoinHostPort("127.0.0.1", port)
		}
		return net.JoinHostPort("::1", port)
	}
	return listen
}

func baseURL(s string) string {
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	return strings.TrimRight(s, "/")
}

// announce says on stderr which instance answered, so output is never
// mistaken for another instance's.
func (in instance) announce(w io.Writer) {
	fmt.Fprintf(w, "instance %s (from %s)\n", in.URL, in.Origin)
}
