// Package upstream is the engine behind the pipeline's forward link: it sends
// a query to upstream resolvers over plain DNS (UDP with TCP retry), DNS over
// TLS or DNS over HTTPS, picks among them by a strategy, tracks their health,
// and routes names under configured zones to their own servers.
//
// It knows nothing of the pipeline. A Forwarder takes a client query and
// returns a reply carrying the client's ID, or an error when no upstream
// answered within the deadline; the caller turns that into SERVFAIL.
//
// Anti-spoofing (RFC 5452) is done here rather than in miekg/dns's client:
// every UDP query gets a fresh socket (random source port) and a
// crypto-random ID, and a datagram whose source, ID or question does not
// match is ignored while the read continues until the attempt's deadline.
package upstream
