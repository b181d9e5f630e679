// Package transport holds the listeners that carry DNS messages to the
// pipeline: the RFC 7766 stream server (TCP and DNS over TLS), DNS over
// HTTPS and DNS over QUIC, with what they share: certificates reloaded when
// their files change, client IDs from the TLS server name or the DoH path,
// and the client address from a trusted proxy.
//
// Every listener hands each query to a dns.Handler (the edge, through
// resolver.Edge.For(protocol)) with a dns.ResponseWriter whose RemoteAddr is
// the client's address, the proxy's word for it where the proxy is trusted.
// When the client named itself, the writer also implements Identified.
package transport

import "github.com/miekg/dns"

// Identified is implemented by the writers of listeners that can tell one
// device from another whatever its address: the ID from the DoH path
// (/dns-query/{id}) or the first label of the TLS server name
// ({id}.dns.example.net). "" means the client gave none.
type Identified interface {
	dns.ResponseWriter
	ClientID() string
}
