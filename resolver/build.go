package resolver

// Parts are the pipeline's links. A nil part is a feature switched off: it
// is left out of the chain rather than checked on every query.
type Parts struct {
	Loop           Link
	Access         Link
	RateLimit      Link
	Group          Link
	Special        Link
	Local          Link
	Block          Link
	ResponseFilter Link
	Any            Link
	Cache          Link
	Dedup          Link
	Validate       Link
	Forward        Handler
}

// Build wires the pipeline. This is the one place its order is written down;
// every listener's queries pass through the edge into what Build returns.
func Build(p Parts) Handler {
	var links []Link
	add := func(l Link) {
		if l != nil {
			links = append(links, l)
		}
	}
	// Access control first: a client we do not serve costs nothing more and
	// learns nothing (RFC 5358: never an open resolver).
	add(p.Access)
	// Rate limiting next, before any work is spent on a flooding client.
	add(p.RateLimit)
	// Our own loop probes, answered and never forwarded again. After access
	// control: a probe only loops back through a forwarder we serve.
	add(p.Loop)
	// The client's group decides which lists apply below.
	add(p.Group)
	// Special-use and bypass names (localhost, .local, use-application-dns.net)
	// are answered here and never leak upstream.
	add(p.Special)
	// Local records are the admin's own names; they beat any blocklist.
	add(p.Local)
	// The blocklist, for the query name and the client's group. It sits
	// before the cache because lists and groups change, and the cache holds
	// only upstream answers, never block answers.
	add(p.Block)
	// The response filter is the pinned order's last step, but it acts on the
	// way back: wired here it sees every answer, cached or forwarded, and
	// blocks those whose CNAME chain reaches a name the client's group blocks.
	add(p.ResponseFilter)
	// ANY over UDP gets the RFC 8482 answer here: after the blocklist, so a
	// blocked name still gets its block answer, and before the cache, so the
	// made-up HINFO is never cached and never asked upstream.
	add(p.Any)
	// The cache answers repeats, and serves stale answers when upstreams fail.
	add(p.Cache)
	// Everything below waits on upstreams: a query run inline on a socket's
	// reading goroutine stops here and is resumed on a goroutine of its own,
	// so a slow upstream never holds up cached and blocked answers.
	// Dedup's refusals (cached failures, wait limits) are answered inline;
	// a resumed query looks in the cache once more first.
	stop := inlineStop{}
	if d, ok := p.Dedup.(*Dedup); ok {
		stop.refuse = d.refuse
	}
	if c, ok := p.Cache.(rechecker); ok {
		stop.recheck = c
	}
	add(stop)
	// In-flight dedup: identical concurrent misses share one exchange.
	add(p.Dedup)
	// DNSSEC validation, on the way back from the forwarder: below dedup and
	// the cache, so concurrent misses share one judgment and hits reuse it.
	add(p.Validate)
	// Forward: zone-specific upstreams, then the default ones.
	return Chain(p.Forward, links...)
}
