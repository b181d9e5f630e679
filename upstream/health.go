package upstream

import (
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Probe back-off bounds for an upstream marked down.
const (
	defaultProbeBase = 500 * time.Millisecond
	maxProbeBackoff  = 30 * time.Second
)

// upstream is one configured server with its transport and health.
type upstream struct {
	ep    endpoint
	t     transport
	probe string // name whose SOA probes ask: the zone, or the root

	mu      sync.Mutex
	fails   int           // consecutive failures
	down    bool          // marked down after MaxFails failures
	probing bool          // a background probe is running
	rtt     time.Duration // moving average of successful exchanges; 0 = unknown
	recent  rttRing       // the last good exchanges' round-trip times
}

func (u *upstream) healthy() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return !u.down
}

func (u *upstream) latency() time.Duration {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.rtt
}

// recentLatency is for the status, not the hot path: it sorts.
func (u *upstream) recentLatency() Latency {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.recent.latency()
}

// succeeded records a good exchange and reports whether it brought the
// upstream back up.
func (u *upstream) succeeded(d time.Duration) (recovered bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.rtt == 0 {
		u.rtt = d
	} else {
		u.rtt = (u.rtt*7 + d) / 8 // EWMA, alpha 1/8 as TCP's SRTT
	}
	u.recent.add(d)
	u.fails = 0
	recovered = u.down
	u.down = false
	return recovered
}

// failed records a failure and reports whether it marked the upstream down
// and whether a probe must be started (none may be running yet).
func (u *upstream) failed(maxFails int) (wentDown, startProbe bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.fails++
	if u.fails >= maxFails && !u.down {
		u.down, wentDown = true, true
	}
	if u.down && !u.probing {
		u.probing, startProbe = true, true
	}
	return wentDown, startProbe
}

// stopProbing ends probing when the upstream is up again, in one step with
// the check so that a failure racing with it starts a new probe.
func (u *upstream) stopProbing() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.down {
		return false
	}
	u.probing = false
	return true
}

// markFailed records failure and, when the upstream goes down, starts probing
// it in the background.
func (f *Forwarder) markFailed(u *upstream) {
	wentDown, startProbe := u.failed(f.cfg.MaxFails)
	if wentDown {
		f.m.Healthy.WithLabelValues(u.ep.name).Set(0)
		f.log.Warn("upstream marked down", zapUpstream(u))
	}
	if !startProbe {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return
	}
	f.wg.Add(1)
	go f.probe(u)
}

func (f *Forwarder) markSucceeded(u *upstream, d time.Duration) {
	if u.succeeded(d) {
		f.m.Healthy.WithLabelValues(u.ep.name).Set(1)
		f.log.Info("upstream back up", zapUpstream(u))
	}
}

// probe asks a down upstream for the SOA of its zone (the root for default
// upstreams: a server for corp.example need not answer for anything else),
// with doubling back-off, until it answers with anything but REFUSED, or
// until the Forwarder closes.
func (f *Forwarder) probe(u *upstream) {
	defer f.wg.Done()
	backoff := f.probeBase
	q := newQuery(new(dns.Msg).SetQuestion(u.probe, dns.TypeSOA))
	for {
		timer := time.NewTimer(backoff)
		select {
		case <-f.ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		if u.stopProbing() { // a query got through meanwhile
			return
		}
		start := f.now()
		r, err := u.t.exchange(f.ctx, time.Now().Add(f.cfg.Timeout), q)
		if err == nil && r.Rcode != dns.RcodeRefused {
			f.markSucceeded(u, f.now().Sub(start))
			if u.stopProbing() {
				return
			}
		}
		backoff = min(backoff*2, maxProbeBackoff)
	}
}
