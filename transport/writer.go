package transport

import (
	"context"
	"sync"
)

// noTSIG is the part of dns.ResponseWriter these listeners have nothing
// for: no TSIG, nothing to close or hijack per query.
type noTSIG struct{}

func (noTSIG) Close() error        { return nil }
func (noTSIG) TsigStatus() error   { return nil }
func (noTSIG) TsigTimersOnly(bool) {}
func (noTSIG) Hijack()             {}

// wait waits for wg within ctx. When ctx ends first it calls force (if
// any), which must make the waited-for work end, waits for it, and returns
// ctx's error.
func wait(ctx context.Context, wg *sync.WaitGroup, force func()) error {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	if force != nil {
		force()
		<-done
	}
	return ctx.Err()
}
