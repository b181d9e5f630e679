// Command cleandns is a filtering DNS forwarder: it answers blocked names
// locally and forwards the rest to upstream resolvers.
//
// This package holds flags, signals and config loading, and nothing else:
// the wiring lives in package server, so tests boot exactly what runs.
package main

import (
	"fmt"
	"os"
	// Schedules name IANA time zones; the container image has no zoneinfo,
	// so the binary carries its own (about 450 kB).
	_ "time/tzdata"

	"github.com/spf13/cobra"

	"github.com/cleandns/cleandns/internal/redact"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	if err := newRoot().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "cleandns:", redact.Error(err))
		os.Exit(1)
	}
}

// flags are the options every command that loads a config shares.
type flags struct {
	config     string
	listen     []string
	upstreams  []string
	http       string
	blocklists []string
	dot, doh   []string
	doq        []string
	tlsCert    string
	tlsKey     string
}

func newRoot() *cobra.Command {
	f := &flags{}
	root := &cobra.Command{
		Use:           "cleandns",
		Short:         "A filtering DNS forwarder for clean networks",
		Long:          "cleandns answers DNS over UDP, TCP, TLS, HTTPS and QUIC, blocks the names on its lists and forwards the rest.\nWithout a command it serves, like `cleandns serve`.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE:          func(cmd *cobra.Command, _ []string) error { return serve(cmd.Context(), f) },
	}
	pf := root.PersistentFlags()
	pf.StringVarP(&f.config, "config", "c", "", "config file (default: the embedded default config)")
	pf.StringArrayVar(&f.listen, "listen", nil, "address to serve DNS on over UDP and TCP, replacing `listen` (repeatable)")
	pf.StringArrayVar(&f.upstreams, "upstream", nil, "upstream resolver, replacing upstreams.servers (repeatable)")
	pf.StringVar(&f.http, "http", "", "address for /metrics and /healthz, replacing http.listen")
	pf.StringArrayVar(&f.blocklists, "blocklist", nil, "blocklist file, URL or builtin:NAME added to blocking.lists (repeatable)")
	pf.StringArrayVar(&f.dot, "dot", nil, "address to serve DNS over TLS on (port 853 if none), replacing tls.dot (repeatable)")
	pf.StringArrayVar(&f.doh, "doh", nil, "address to serve DNS over HTTPS on (port 443 if none), replacing tls.doh (repeatable)")
	pf.StringArrayVar(&f.doq, "doq", nil, "address to serve DNS over QUIC on (UDP, port 853 if none), replacing tls.doq (repeatable)")
	pf.StringVar(&f.tlsCert, "tls-cert", "", "PEM certificate file of the encrypted listeners, replacing tls.cert_file")
	pf.StringVar(&f.tlsKey, "tls-key", "", "PEM key file of the encrypted listeners, replacing tls.key_file")
	root.AddCommand(
		&cobra.Command{
			Use:   "serve",
			Short: "Serve DNS (the default command)",
			Args:  cobra.NoArgs,
			RunE:  func(cmd *cobra.Command, _ []string) error { return serve(cmd.Context(), f) },
		},
		newCheckConfig(),
		newLists(f),
		newExplain(f),
		newVersion(),
		newHealthcheck(f),
		newPause(f),
		newResume(f),
		newQueryLog(f),
		newTop(f),
		newAllow(f),
		newCache(f),
		newCert(),
		newBlock(f),
		newRules(f),
		newPassword(),
	)
	return root
}
