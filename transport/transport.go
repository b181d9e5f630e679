// Package transport owns the sockets: it reads queries off the wire and
// feeds them to a Handler (the pipeline's edge), and writes the answers
// back. Each kind of listener (plain DNS over UDP and TCP today; DoT, DoH
// and DoQ next) is a Listener, started and stopped the same way, so the
// application wiring (package server) opens and closes them without knowing
// which is which.
package transport

import (
	"context"
	"net/netip"
	"time"

	"github.com/miekg/dns"
)

// Handler is what a listener feeds. *resolver.Edge is the one Handler.
type Handler interface {
	// For returns the dns.Handler for queries of a protocol (query.Proto*).
	For(protocol string) dns.Handler
	// ServeInline answers a UDP query on the reading goroutine when it can
	// without waiting, packing into buf and calling send, and returns nil.
	// When the query must wait (for an upstream) it returns resume, which
	// the listener runs on another goroutine with the client's writer; r
	// then belongs to it. resume is run once: the Handler may recycle it
	// with the query. lane numbers the loop (query.Request.Lane).
	ServeInline(r *dns.Msg, client netip.Addr, lane int, received time.Time, buf []byte, send func([]byte) error) (resume func(w dns.ResponseWriter))
}

// Listener is one configured listening address with its sockets.
type Listener interface {
	// Addr is the bound address (the real port when 0 was configured).
	Addr() string
	// Serve starts serving and returns once the sockets accept queries;
	// a later failure is sent on errc.
	Serve(errc chan<- error)
	// Shutdown stops reading, waits (within ctx) for the queries being
	// answered, then closes the sockets.
	Shutdown(ctx context.Context) error
}
