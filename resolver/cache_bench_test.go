package resolver

import (
	"context"
	"testing"

	"github.com/cleandns/cleandns/query"
)

// BenchmarkCacheLinkHit is a fresh hit through the link as the pipeline
// sees it today: lookup, wire patch, and the unpack the *dns.Msg contract
// requires.
func BenchmarkCacheLinkHit(b *testing.B) {
	env := newLinkEnv(b, nil, 300)
	env.ask(b, newReq("www.example.com.", 1, false))
	req := newReq("WWW.example.com.", 2, false)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if r, err := env.link.Resolve(ctx, req, env.next); err != nil || r.Result != query.Cached {
			b.Fatal(r, err)
		}
	}
}

// BenchmarkCacheLinkMissThenHit stores a fresh answer and reads it back.
func BenchmarkCacheLinkMissThenHit(b *testing.B) {
	env := newLinkEnv(b, nil, 300)
	req := newReq("www.example.com.", 1, false)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		env.link.cache.Flush()
		for range 2 {
			if _, err := env.link.Resolve(ctx, req, env.next); err != nil {
				b.Fatal(err)
			}
		}
	}
}
