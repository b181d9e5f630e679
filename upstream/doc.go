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
//
// The query sent upstream is built afresh (question, RD, CD, AD, an OPT
// with a 1232-byte buffer and the client's DO bit) so that no client EDNS
// option, such as Client Subnet, leaves the host.
//
// Health: a timeout, network or TLS error, unusable reply or REFUSED is a
// failure; SERVFAIL is not (it may concern one name), though another
// upstream is tried before a SERVFAIL is returned. MaxFails failures in a
// row mark an upstream down; it is then skipped and probed in the
// background with back-off until it answers again.
package upstream
