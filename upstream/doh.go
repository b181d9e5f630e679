package upstream

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/miekg/dns"
)

const dnsMessageType = "application/dns-message"

// dohTransport is DNS over HTTPS (RFC 8484): POST, HTTP/2 when the server
// offers it, connections kept and reused by net/http.
type dohTransport struct {
	ep     endpoint
	url    string
	client *http.Client
	tr     *http.Transport
	d      *dialer

	mu      sync.Mutex
	expires time.Time // of the address last dialled; zero: never
}

func newDoH(ep endpoint, d *dialer, tlsConf *tls.Config) *dohTransport {
	t := &dohTransport{ep: ep, url: ep.url.String(), d: d}
	t.tr = &http.Transport{
		DialContext:     t.dial,
		TLSClientConfig: tlsConf,
		// A custom TLS config or dialer turns HTTP/2 off unless forced.
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
		// Never through an environment proxy: upstream DNS goes direct.
		Proxy: nil,
	}
	t.client = &http.Client{Transport: t.tr}
	return t
}

func (t *dohTransport) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, expires, err := t.d.dial(ctx, network, addr)
	if err == nil {
		t.mu.Lock()
		t.expires = expires
		t.mu.Unlock()
	}
	return c, err
}

// refresh closes idle connections once the host name's addresses expired,
// so the next request dials (and resolves) afresh. Connections busy with
// requests are left to finish; they are idle again soon.
func (t *dohTransport) refresh() {
	t.mu.Lock()
	expired := t.d.expired(t.expires)
	t.mu.Unlock()
	if expired {
		t.tr.CloseIdleConnections()
	}
}

func (t *dohTransport) exchange(ctx context.Context, deadline time.Time, q *dns.Msg) (*dns.Msg, error) {
	ctx, cancel := context.WithDeadline(ctx, deadline) // the HTTP request's
	defer cancel()
	t.refresh()
	m := q.Copy() // Pack writes to the OPT record, so racing attempts need their own
	m.Id = 0      // RFC 8484 section 4.1: ID 0 makes the wire form cache-friendly
	out, err := m.Pack()
	if err != nil {
		return nil, fmt.Errorf("pack query: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(out))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", dnsMessageType)
	req.Header.Set("Accept", dnsMessageType)
	resp, err := t.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, dns.MaxMsgSize+1))
	if err != nil {
		return nil, err
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode != http.StatusOK || ct != dnsMessageType {
		return nil, fmt.Errorf("%w: %s, %q", errHTTP, resp.Status, ct)
	}
	r := new(dns.Msg)
	if err := r.Unpack(body); err != nil {
		return nil, fmt.Errorf("%w: %w", errBadReply, err)
	}
	if !matches(m, r) {
		return nil, fmt.Errorf("%w: question does not match", errBadReply)
	}
	return r, nil
}

func (t *dohTransport) close() { t.tr.CloseIdleConnections() }
