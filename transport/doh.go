package transport

import (
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/resolver"
)

// dohPath is where RFC 8484 clients send queries; /dns-query/{id} names
// the device.
const dohPath = "/dns-query"

const dohType = "application/dns-message"

// DoH is the RFC 8484 http.Handler: GET with ?dns= (base64url) and POST
// with an application/dns-message body, on /dns-query and /dns-query/{id}.
// It works over any HTTP version the server speaks (HTTP/2 and 1.1 over
// TLS; plain HTTP behind a TLS-terminating proxy).
type DoH struct {
	handler dns.Handler
	trusted Trusted
}

// NewDoH returns the handler; trusted are the proxies whose
// X-Forwarded-For or Forwarded header names the client.
func NewDoH(h dns.Handler, trusted Trusted) *DoH { return &DoH{handler: h, trusted: trusted} }

// ServeHTTP answers one query.
func (d *DoH) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id, ok := pathClientID(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	q, status := readQuery(r)
	if status != 0 {
		http.Error(w, http.StatusText(status), status)
		return
	}
	m := new(dns.Msg)
	if resolver.UnpackQuery(m, q) != "" || m.Response {
		http.Error(w, "not a DNS query", http.StatusBadRequest)
		return
	}
	dw := &dohWriter{id: id, remote: d.client(r)}
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		dw.local = a
	}
	d.handler.ServeDNS(dw, m)
	if dw.answer == nil {
		// Dropped by policy (access or rate limit): HTTP has no silence.
		http.Error(w, http.StatusText(http.StatusForbidden), http.StatusForbidden)
		return
	}
	h := w.Header()
	h.Set("Content-Type", dohType)
	h.Set("Content-Length", strconv.Itoa(len(dw.answer)))
	if ttl, ok := minTTL(dw.answer); ok {
		h.Set("Cache-Control", "max-age="+strconv.FormatUint(uint64(ttl), 10))
	}
	_, _ = w.Write(dw.answer)
}

// readQuery returns the query's wire form, or the HTTP status to refuse it.
func readQuery(r *http.Request) ([]byte, int) {
	switch r.Method {
	case http.MethodGet:
		s := r.URL.Query().Get("dns")
		if s == "" {
			return nil, http.StatusBadRequest
		}
		// RFC 8484 §4.1: base64url without padding; padded is tolerated.
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
		if err != nil || len(b) < 12 {
			return nil, http.StatusBadRequest
		}
		return b, 0
	case http.MethodPost:
		if ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); strings.TrimSpace(ct) != dohType {
			return nil, http.StatusUnsupportedMediaType
		}
		b, err := io.ReadAll(io.LimitReader(r.Body, dns.MaxMsgSize+1))
		if err != nil || len(b) < 12 {
			return nil, http.StatusBadRequest
		}
		if len(b) > dns.MaxMsgSize {
			return nil, http.StatusRequestEntityTooLarge
		}
		return b, 0
	}
	return nil, http.StatusMethodNotAllowed
}

// client is the request's client address: the peer's, or, when the peer is
// a trusted proxy, the nearest untrusted address it and the proxies before
// it forwarded (Forwarded first, then X-Forwarded-For).
func (d *DoH) client(r *http.Request) net.Addr {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return nil
	}
	addr := net.TCPAddrFromAddrPort(netip.AddrPortFrom(peer.Addr().Unmap(), peer.Port()))
	if !d.trusted.Contains(peer.Addr()) {
		return addr
	}
	hops := forwardedFor(r.Header.Values("Forwarded"))
	if len(hops) == 0 {
		hops = xForwardedFor(r.Header.Values("X-Forwarded-For"))
	}
	for i := len(hops) - 1; i >= 0; i-- {
		if !d.trusted.Contains(hops[i]) || i == 0 {
			return net.TCPAddrFromAddrPort(netip.AddrPortFrom(hops[i], 0))
		}
	}
	return addr
}

func xForwardedFor(values []string) []netip.Addr {
	var out []netip.Addr
	for _, v := range values {
		for _, f := range strings.Split(v, ",") {
			if a, ok := parseHop(strings.TrimSpace(f)); ok {
				out = append(out, a)
			}
		}
	}
	return out
}

// forwardedFor reads the for= parameters of RFC 7239 Forwarded headers.
func forwardedFor(values []string) []netip.Addr {
	var out []netip.Addr
	for _, v := range values {
		for _, elem := range strings.Split(v, ",") {
			for _, pair := range strings.Split(elem, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if !ok || !strings.EqualFold(k, "for") {
					continue
				}
				if a, ok := parseHop(strings.Trim(val, `"`)); ok {
					out = append(out, a)
				}
			}
		}
	}
	return out
}

// parseHop reads 192.0.2.1, 192.0.2.1:80, 2001:db8::1 or [2001:db8::1]:80.
func parseHop(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	a, err := netip.ParseAddr(strings.Trim(s, "[]"))
	return a.Unmap(), err == nil
}

// dohWriter keeps the answer for ServeHTTP to send.
type dohWriter struct {
	noTSIG
	id            string
	local, remote net.Addr
	answer        []byte
}

var _ Identified = (*dohWriter)(nil)

func (w *dohWriter) LocalAddr() net.Addr  { return w.local }
func (w *dohWriter) RemoteAddr() net.Addr { return w.remote }
func (w *dohWriter) ClientID() string     { return w.id }
func (w *dohWriter) WriteMsg(m *dns.Msg) error {
	b, err := m.Pack()
	w.answer = b
	return err
}

// Write copies b: the edge may reuse its buffer once Write returns.
func (w *dohWriter) Write(b []byte) (int, error) {
	w.answer = append([]byte(nil), b...)
	return len(b), nil
}
