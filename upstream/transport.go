package upstream

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"time"

	"github.com/miekg/dns"
)

// transport sends one query to one upstream and returns the matching reply.
// q is built by newQuery and shared: a transport copies it before setting
// the ID it needs. A reply that is returned always matches q's question.
// The attempt ends at deadline (context.DeadlineExceeded) or when ctx is
// cancelled, whichever comes first: the deadline is a value rather than a
// context of its own, so the plain-UDP exchange, most of a miss, makes no
// context and no timer per query (a pooled timer waits for it); transports
// that need a context deadline (dialling, TLS, HTTP) derive it themselves.
type transport interface {
	exchange(ctx context.Context, deadline time.Time, q *dns.Msg) (*dns.Msg, error)
	close()
}

func newTransport(ep endpoint, d *dialer, base *tls.Config) transport {
	switch ep.proto {
	case ProtoTCP:
		return &dotTransport{ep: ep, d: d}
	case ProtoDoT:
		c := base.Clone()
		c.ServerName = ep.serverName
		return &dotTransport{ep: ep, d: d, tls: c}
	case ProtoDoH:
		c := base.Clone()
		c.ServerName = ep.serverName
		return newDoH(ep, d, c)
	default:
		return newUDPTransport(ep, d)
	}
}

// baseTLSConfig returns the client TLS configuration: the injected one, or
// the system roots, plus caFile's certificates either way.
func baseTLSConfig(injected *tls.Config, caFile string) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if injected != nil {
		c = injected.Clone()
	}
	if caFile == "" {
		return c, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("upstreams.ca_file: %w", err)
	}
	if c.RootCAs == nil {
		if c.RootCAs, err = x509.SystemCertPool(); err != nil {
			c.RootCAs = x509.NewCertPool()
		}
	} else {
		c.RootCAs = c.RootCAs.Clone()
	}
	if !c.RootCAs.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("upstreams.ca_file: %q: no PEM certificates", caFile)
	}
	return c, nil
}
