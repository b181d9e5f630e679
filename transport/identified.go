package transport

// The encrypted listeners (DoT on the stream server, DoH, DoQ) hand each
// query to the dns.Handler of Handler.For(protocol) with a
// dns.ResponseWriter whose RemoteAddr is the client's address (a trusted
// proxy's word for it, where there is one). When the client named itself,
// the writer also implements Identified.

import "github.com/miekg/dns"

// Identified is implemented by the writers of listeners that can tell one
// device from another whatever its address: the ID from the DoH path
// (/dns-query/{id}) or the first label of the TLS server name
// ({id}.dns.example.net). "" means the client gave none.
type Identified interface {
	dns.ResponseWriter
	ClientID() string
}
