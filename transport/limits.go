package transport

import (
	"errors"
	"net"
	"syscall"
	"time"

	"go.uber.org/zap"
)

// Connection caps are taken from the process's descriptor limit
// (RLIMIT_NOFILE), so that connections a client holds open can never use
// the descriptors that upstream sockets and files need: at the limit every
// uncached name would fail. Unbound sizes incoming-num-tcp the same way.

// DescriptorLimit is the soft RLIMIT_NOFILE, or 0 when it cannot be read
// or is unlimited.
func DescriptorLimit() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur > 1<<30 {
		return 0
	}
	return int(rl.Cur)
}

// CapConnections returns want bounded by share of the descriptor limit:
// share 4 allows a quarter of it. A limit that cannot be read leaves want.
func CapConnections(want, share int) int {
	if limit := DescriptorLimit(); limit > 0 {
		want = min(want, max(limit/share, 1))
	}
	return want
}

// sendBuffer caps the kernel send buffer of an accepted DNS connection.
// Left to autotuning, a client that never reads pins megabytes of kernel
// memory per connection; 64 KiB holds the largest DNS message.
const sendBuffer = 64 << 10

// tuneAccepted caps the send buffer of a TCP connection, TLS or not.
func tuneAccepted(nc net.Conn) {
	if w, ok := nc.(interface{ NetConn() net.Conn }); ok {
		nc = w.NetConn()
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(sendBuffer)
	}
}

// abort closes nc with a reset (SO_LINGER 0), which drops what the kernel
// still holds for a client that does not read, instead of keeping it for
// the orphan retries.
func abort(nc net.Conn) {
	if w, ok := nc.(interface{ NetConn() net.Conn }); ok { // TLS
		nc = w.NetConn()
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = nc.Close()
}

// acceptBackoff paces an accept loop after errors that pass (out of
// descriptors, a connection aborted before it was accepted): without it
// the loop spins on EMFILE, a core at 100%, as net/http's Serve avoids
// the same way.
type acceptBackoff struct {
	delay  time.Duration
	log    *zap.Logger
	logged bool
}

// wait sleeps after err and reports true, or reports false when err is
// not one that passes.
func (b *acceptBackoff) wait(err error) bool {
	var ne net.Error
	temporary := errors.As(err, &ne) && ne.Timeout() ||
		errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM)
	if !temporary {
		return false
	}
	if b.delay == 0 {
		b.delay = 5 * time.Millisecond
	} else {
		b.delay = min(2*b.delay, time.Second)
	}
	if !b.logged {
		b.log.Warn("accept failing; backing off", zap.Error(err))
		b.logged = true
	}
	time.Sleep(b.delay)
	return true
}

// ok resets the backoff after an accept that worked.
func (b *acceptBackoff) ok() { b.delay, b.logged = 0, false }
