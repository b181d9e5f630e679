package resolver

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/internal/fakeclock"
	"github.com/cleandns/cleandns/query"
)

// TestDedupCachesFailures checks RFC 9520's cached failures: a failed
// resolution is answered from the cache for 1s, then 2s after a second
// failure, and forgotten once the name resolves.
func TestDedupCachesFailures(t *testing.T) {
	clock := fakeclock.New(time.Unix(1e9, 0))
	d := NewDedup(nil)
	d.now = clock.Now
	calls := 0
	fail := true
	next := HandlerFunc(func(_ context.Context, r *query.Request) (*query.Response, error) {
		calls++
		if fail {
			return nil, errors.New("timeout")
		}
		m := new(dns.Msg)
		m.SetReply(r.Msg)
		return &query.Response{Msg: m, Result: query.Forwarded}, nil
	})
	req := policyReq("dead.example.", dns.TypeA, "udp", "10.0.0.1")
	steps := []struct {
		advance time.Duration
		fail    bool
		wantErr error // nil: any error but a cached one, or none when !fail
		calls   int
	}{
		{0, true, nil, 1},
		{500 * time.Millisecond, true, errCachedFailure, 1},
		{500 * time.Millisecond, true, nil, 2}, // 1s passed: asked again, fails, backoff 2s
		{1900 * time.Millisecond, true, errCachedFailure, 2},
		{100 * time.Millisecond, false, nil, 3}, // resolves: forgotten
		{0, true, nil, 4},                       // fails afresh: backoff back to 1s
		{1000 * time.Millisecond, true, nil, 5},
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		fail = s.fail
		_, err := d.Resolve(context.Background(), req, next)
		switch {
		case s.wantErr != nil && !errors.Is(err, s.wantErr):
			t.Errorf("step %d: err %v, want %v", i, err, s.wantErr)
		case s.wantErr == nil && errors.Is(err, errCachedFailure):
			t.Errorf("step %d: answered from the failure cache, want asked again", i)
		case !s.fail && err != nil:
			t.Errorf("step %d: %v", i, err)
		}
		if calls != s.calls {
			t.Errorf("step %d: %d exchanges, want %d", i, calls, s.calls)
		}
	}
}

// TestDedupCachesServfail: a SERVFAIL from every upstream is a failure to
// cache too (RFC 9520 section 2), another rcode is not.
func TestDedupCachesServfail(t *testing.T) {
	for _, tt := range []struct {
		rcode  int
		cached bool
	}{{dns.RcodeServerFailure, true}, {dns.RcodeNameError, false}, {dns.RcodeSuccess, false}} {
		t.Run(dns.RcodeToString[tt.rcode], func(t *testing.T) {
			d := NewDedup(nil)
			next := HandlerFunc(func(_ context.Context, r *query.Request) (*query.Response, error) {
				m := new(dns.Msg)
				m.SetRcode(r.Msg, tt.rcode)
				return &query.Response{Msg: m, Result: query.Forwarded}, nil
			})
			req := policyReq("x.example.", dns.TypeA, "udp", "10.0.0.1")
			_, _ = d.Resolve(context.Background(), req, next)
			_, err := d.Resolve(context.Background(), req, next)
			if got := errors.Is(err, errCachedFailure); got != tt.cached {
				t.Errorf("second query from the failure cache: %v, want %v", got, tt.cached)
			}
		})
	}
}

// TestDedupBoundsWaiting checks the wait limits: one client's waiting
// queries (leaders and followers) and one exchange's followers are capped,
// and what is over the cap fails at once with an EDE error.
func TestDedupBoundsWaiting(t *testing.T) {
	tests := []struct {
		name    string
		clients int // distinct clients asking
		qname   func(int) string
		want    error
		shed    int // of 20
	}{
		// 5 leaders wait, the client's limit.
		{"one client, many names", 1, func(i int) string { return fmt.Sprintf("n%d.example.", i) }, errClientWaitLimit, 15},
		// A leader and its 5 followers wait.
		{"many clients, one name", 20, func(int) string { return "one.example." }, errFollowerLimit, 14},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDedup(nil)
			d.clientWaitLimit, d.maxFollowers = 5, 5
			release := make(chan struct{})
			entered := make(chan struct{}, 100)
			next := HandlerFunc(func(context.Context, *query.Request) (*query.Response, error) {
				entered <- struct{}{}
				<-release
				return nil, errors.New("released")
			})
			var wg sync.WaitGroup
			errs := make(chan error, 20)
			for i := range 20 {
				client := netip.AddrFrom4([4]byte{10, 0, 0, byte(1 + i%tt.clients)})
				req := policyReq(tt.qname(i), dns.TypeA, "udp", client.String())
				wg.Go(func() {
					_, err := d.Resolve(context.Background(), req, next)
					errs <- err
				})
			}
			// The refused are refused at once, while the others still wait.
			shed := 0
			for deadline := time.After(2 * time.Second); shed < tt.shed; {
				select {
				case err := <-errs:
					if !errors.Is(err, tt.want) {
						t.Fatalf("refused with %v, want %v", err, tt.want)
					}
					shed++
				case <-deadline:
					t.Fatalf("only %d of 20 queries refused at once", shed)
				}
			}
			close(release)
			wg.Wait()
			close(errs)
			for err := range errs {
				if errors.Is(err, tt.want) {
					t.Errorf("a query waited and was then refused: %v", err)
				}
			}
		})
	}
}

// TestInlineStopRefusesWhatDedupWould: an inline run stops before Dedup,
// but what Dedup would refuse at once (here a cached failure) is refused
// there, so it is answered on the reader, not resumed.
func TestInlineStopRefusesWhatDedupWould(t *testing.T) {
	d := NewDedup(nil)
	stop := inlineStop{refuse: d.refuse}
	fail := HandlerFunc(func(context.Context, *query.Request) (*query.Response, error) {
		return nil, errors.New("timeout")
	})
	req := policyReq("dead.example.", dns.TypeA, "udp", "10.0.0.1")
	req.Inline = true
	if _, err := stop.Resolve(context.Background(), req, fail); !errors.Is(err, ErrWouldBlock) {
		t.Fatalf("first inline run: %v, want ErrWouldBlock", err)
	}
	req.Inline = false
	_, _ = stop.Resolve(context.Background(), req, HandlerFunc(func(ctx context.Context, r *query.Request) (*query.Response, error) {
		return d.Resolve(ctx, r, fail)
	}))
	req.Inline = true
	if _, err := stop.Resolve(context.Background(), req, fail); !errors.Is(err, errCachedFailure) {
		t.Errorf("inline run after the failure: %v, want %v", err, errCachedFailure)
	}
}
