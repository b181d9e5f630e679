package transport

import (
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"

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
	// queries recycles the per-query state (*dohQuery): the message, its
	// writer and the buffer the query is read into. Nothing keeps them once
	// ServeDNS has returned: the edge answers on the calling goroutine, as
	// the UDP loop, which reuses its message the same way, relies on.
	queries sync.Pool
	// workers answer the queries. net/http starts each HTTP/2 request on a
	// goroutine with the smallest stack, and the edge and pipeline behind
	// it grew that stack two or three times per query, copying it each
	// time (about a tenth of the server's instructions); a worker keeps
	// its stack, and the request's goroutine only waits for it.
	workers *workers[*dohQuery]
	// streams and h2workers are the same for HTTP/2 connections, which
	// DoHServer serves with its own loop (doh2conn.go), not net/http's.
	streams   sync.Pool
	h2workers *workers[*h2Stream]
	stop      chan struct{} // closed by Close: idle workers exit
	closed    sync.Once
}

// NewDoH returns the handler; trusted are the proxies whose
// X-Forwarded-For or Forwarded header names the client. Close ends the
// goroutines it keeps for answering.
func NewDoH(h dns.Handler, trusted Trusted) *DoH {
	d := &DoH{handler: h, trusted: trusted, stop: make(chan struct{})}
	d.workers = newWorkers(d.answer, d.stop)
	d.h2workers = newWorkers(d.answerH2, d.stop)
	return d
}

// Close ends the idle answering goroutines. Queries still work after it,
// each on a goroutine of its own.
func (d *DoH) Close() error {
	d.closed.Do(func() { close(d.stop) })
	return nil
}

// dohQuery is one query's state, recycled.
type dohQuery struct {
	msg dns.Msg
	w   dohWriter
	buf []byte // the query's wire form is read or decoded into it

	rw       http.ResponseWriter
	req      *http.Request
	id       string        // the client ID of the path
	done     chan struct{} // a worker has answered (capacity 1)
	panicked any           // what the worker's answering panicked with
}

// dohBufSize is the capacity of a recycled query buffer; a bigger query
// gets a buffer of its own, not kept.
const dohBufSize = 512

// ServeHTTP answers one query.
func (d *DoH) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id, ok := pathClientID(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	dq, _ := d.queries.Get().(*dohQuery)
	if dq == nil {
		dq = &dohQuery{buf: make([]byte, 0, dohBufSize), done: make(chan struct{}, 1)}
	}
	dq.rw, dq.req, dq.id = w, r, id
	d.workers.run(dq)
	<-dq.done
	if v := dq.panicked; v != nil {
		// Raised again where net/http expects a handler's panic.
		panic(v)
	}
	d.recycle(dq)
}

// answer serves dq on a worker; once it signals done, dq belongs to the
// request's goroutine again.
func (d *DoH) answer(dq *dohQuery) {
	defer func() {
		dq.panicked = recover()
		dq.done <- struct{}{}
	}()
	d.serve(dq)
}

// serve answers the query of dq's request, on a worker.
func (d *DoH) serve(dq *dohQuery) {
	w, r, id := dq.rw, dq.req, dq.id
	q, status := readQuery(r, dq.buf[:0])
	if status != 0 {
		http.Error(w, http.StatusText(status), status)
		return
	}
	m := &dq.msg
	*m = dns.Msg{}
	if resolver.UnpackQuery(m, q) != "" || m.Response {
		http.Error(w, "not a DNS query", http.StatusBadRequest)
		return
	}
	conn := addrsOf(r)
	dw := &dq.w
	*dw = dohWriter{id: id, local: conn.local, remote: d.client(r, conn), rw: w}
	d.handler.ServeDNS(dw, m)
	if !dw.wrote {
		// Dropped by policy (access or rate limit): HTTP has no silence.
		http.Error(w, http.StatusText(http.StatusForbidden), http.StatusForbidden)
	}
}

// dohConnKey is the context key of a connection's dohConnAddrs.
type dohConnKey struct{}

// dohConnAddrs are a connection's addresses, read once for all its
// requests (DoHServer's ConnContext) instead of parsed from
// Request.RemoteAddr for each.
type dohConnAddrs struct {
	local  net.Addr
	peer   netip.AddrPort // as Request.RemoteAddr says it; invalid if it does not parse
	remote net.Addr       // peer, unmapped
}

func newConnAddrs(local net.Addr, remoteAddr string) *dohConnAddrs {
	a := &dohConnAddrs{local: local}
	if peer, err := netip.ParseAddrPort(remoteAddr); err == nil {
		a.peer = peer
		a.remote = net.TCPAddrFromAddrPort(netip.AddrPortFrom(peer.Addr().Unmap(), peer.Port()))
	}
	return a
}

// addrsOf returns the addresses of r's connection: from its context when
// DoHServer put them there, otherwise from r.
func addrsOf(r *http.Request) *dohConnAddrs {
	if a, ok := r.Context().Value(dohConnKey{}).(*dohConnAddrs); ok {
		return a
	}
	local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	return newConnAddrs(local, r.RemoteAddr)
}

// recycle returns dq to the pool, without a buffer grown for a big query.
func (d *DoH) recycle(dq *dohQuery) {
	if cap(dq.buf) > dohBufSize {
		dq.buf = make([]byte, 0, dohBufSize)
	}
	dq.msg = dns.Msg{}
	dq.w = dohWriter{}
	dq.rw, dq.req, dq.id, dq.panicked = nil, nil, "", nil
	d.queries.Put(dq)
}

// readQuery returns the query's wire form, read into buf (which it may
// outgrow), or the HTTP status to refuse it.
func readQuery(r *http.Request, buf []byte) ([]byte, int) {
	switch r.Method {
	case http.MethodGet:
		return getQuery(r.URL.RawQuery, buf)
	case http.MethodPost:
		if !isDoHType(r.Header.Get("Content-Type")) {
			return nil, http.StatusUnsupportedMediaType
		}
		b, err := readBody(r.Body, buf, dns.MaxMsgSize+1)
		if err != nil {
			return nil, http.StatusBadRequest
		}
		return b, bodyStatus(b)
	}
	return nil, http.StatusMethodNotAllowed
}

// getQuery decodes the ?dns= parameter of a GET's query string into buf
// (which it may outgrow), or returns the HTTP status to refuse it.
func getQuery(rawQuery string, buf []byte) ([]byte, int) {
	s, _ := queryParam(rawQuery, "dns")
	if s == "" {
		return nil, http.StatusBadRequest
	}
	// RFC 8484 §4.1: base64url without padding; padded is tolerated.
	// The text goes into buf first, the query after it.
	text := append(buf[:0], strings.TrimRight(s, "=")...)
	b, err := base64.RawURLEncoding.AppendDecode(text[len(text):], text)
	if err != nil || len(b) < 12 {
		return nil, http.StatusBadRequest
	}
	return b, 0
}

// isDoHType reports whether a POST's Content-Type is RFC 8484's.
func isDoHType(ct string) bool {
	ct, _, _ = strings.Cut(ct, ";")
	return strings.TrimSpace(ct) == dohType
}

// bodyStatus is the HTTP status that refuses a POST body, 0 for none: too
// short for a DNS header, or longer than a DNS message can be.
func bodyStatus(b []byte) int {
	switch {
	case len(b) > dns.MaxMsgSize:
		return http.StatusRequestEntityTooLarge
	case len(b) < 12:
		return http.StatusBadRequest
	}
	return 0
}

// queryParam is url.Values.Get of the query string raw for one key, without
// parsing every parameter into a map: the first well-formed key=value pair
// whose key is key, as url.ParseQuery reads them (pairs with a semicolon or
// a bad escape are skipped).
func queryParam(raw, key string) (string, bool) {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" || strings.Contains(pair, ";") {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, ok := unescapeQuery(k)
		if !ok || k != key {
			continue
		}
		if v, ok = unescapeQuery(v); ok {
			return v, true
		}
	}
	return "", false
}

// unescapeQuery is url.QueryUnescape, skipped when there is nothing to undo.
func unescapeQuery(s string) (string, bool) {
	if !strings.ContainsAny(s, "%+") {
		return s, true
	}
	u, err := url.QueryUnescape(s)
	return u, err == nil
}

// readBody reads r to its end into buf, growing it, but not past limit
// bytes: a body longer than that comes back limit bytes long.
func readBody(r io.Reader, buf []byte, limit int) ([]byte, error) {
	b := buf[:0]
	for len(b) < limit {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		room := b[len(b):min(cap(b), limit)]
		n, err := r.Read(room)
		b = b[:len(b)+n]
		if errors.Is(err, io.EOF) {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
	return b, nil
}

// client is the request's client address: the peer's, or, when the peer is
// a trusted proxy, the nearest untrusted address it and the proxies before
// it forwarded (Forwarded first, then X-Forwarded-For).
func (d *DoH) client(r *http.Request, conn *dohConnAddrs) net.Addr {
	if conn.remote == nil || !d.trusted.Contains(conn.peer.Addr()) {
		return conn.remote
	}
	return d.forwardedClient(conn, r.Header.Values("Forwarded"), r.Header.Values("X-Forwarded-For"))
}

// forwardedClient is client for a trusted peer, from the values of its
// request's Forwarded and X-Forwarded-For headers.
func (d *DoH) forwardedClient(conn *dohConnAddrs, forwarded, xff []string) net.Addr {
	hops := forwardedFor(forwarded)
	if len(hops) == 0 {
		hops = xForwardedFor(xff)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		if !d.trusted.Contains(hops[i]) || i == 0 {
			return net.TCPAddrFromAddrPort(netip.AddrPortFrom(hops[i], 0))
		}
	}
	return conn.remote
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

// dohWriter sends the answer as the HTTP response.
type dohWriter struct {
	noTSIG
	id            string
	local, remote net.Addr
	rw            http.ResponseWriter // HTTP/1.1: net/http's
	st            *h2Stream           // HTTP/2: our own connection loop's stream
	wrote         bool
}

var _ Identified = (*dohWriter)(nil)

func (w *dohWriter) LocalAddr() net.Addr  { return w.local }
func (w *dohWriter) RemoteAddr() net.Addr { return w.remote }
func (w *dohWriter) ClientID() string     { return w.id }
func (w *dohWriter) WriteMsg(m *dns.Msg) error {
	b, err := m.Pack()
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// dohTypeHeader is the Content-Type of every answer. It is never changed:
// net/http copies a response's header map before writing it.
var dohTypeHeader = []string{dohType}

// errAnswered refuses a second answer to one query.
var errAnswered = errors.New("doh: the query was already answered")

// Write sends b, the packed answer, with its headers. The edge may reuse
// b once Write returns: the ResponseWriter has copied or sent it by then.
func (w *dohWriter) Write(b []byte) (int, error) {
	if w.wrote {
		return 0, errAnswered
	}
	w.wrote = true
	if w.st != nil {
		return w.st.c.answer(w.st, b)
	}
	h := w.rw.Header()
	h["Content-Type"] = dohTypeHeader
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	if ttl, ok := minTTL(b); ok {
		var buf [24]byte
		h["Cache-Control"] = []string{string(strconv.AppendUint(append(buf[:0], "max-age="...), uint64(ttl), 10))}
	}
	return w.rw.Write(b)
}
