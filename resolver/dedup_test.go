package resolver

import (
	"context"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/query"
)

// TestDedupLeaderPanicReleasesFollowers: a panic in the leader's exchange
// (recovered by the edge) must not leave followers, or later queries for the
// same question, waiting forever.
func TestDedupLeaderPanicReleasesFollowers(t *testing.T) {
	d := NewDedup(nil)
	started := make(chan struct{})
	release := make(chan struct{})
	next := HandlerFunc(func(context.Context, *query.Request) (*query.Response, error) {
		close(started)
		<-release
		panic("boom")
	})
	req := policyReq("panic.example.", dns.TypeA, "udp", "10.0.0.1")
	go func() {
		defer func() { _ = recover() }()
		_, _ = d.Resolve(context.Background(), req, next)
	}()
	<-started
	done := make(chan error, 1)
	go func() {
		_, err := d.Resolve(context.Background(), req, next)
		done <- err
	}()
	time.Sleep(20 * time.Millisecond) // let the follower join
	close(release)
	select {
	case err := <-done:
		if err == nil {
			t.Error("the follower got no error from a leader that panicked")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the follower still waits after the leader panicked")
	}
	ok := HandlerFunc(func(_ context.Context, r *query.Request) (*query.Response, error) {
		m := new(dns.Msg)
		m.SetReply(r.Msg)
		return &query.Response{Msg: m, Result: query.Forwarded}, nil
	})
	if _, err := d.Resolve(context.Background(), req, ok); err != nil {
		t.Errorf("a later query for the same question: %v", err)
	}
}
