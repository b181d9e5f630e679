package upstream

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"mime"
	"net/http"
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
}

func newDoH(ep endpoint, d *dialer, tlsConf *tls.Config) *dohTransport {
	tr := &http.Transport{
		DialContext:     d.dialContext,
		TLSClientConfig: tlsConf,
		// A custom TLS config or dialer turns HTTP/2 off unless forced.
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
		// Never through an environment proxy: upstream DNS goes direct.
		Proxy: nil,
	}
	return &dohTransport{ep: ep, url: ep.url.String(), client: &http.Client{Transport: tr}, tr: tr}
}

func (t *dohTransport) exchange(ctx context.Context, q *dns.Msg) (*dns.Msg, error) {
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
