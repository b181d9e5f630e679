package transport

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/zap"

	"github.com/cleandns/cleandns/resolver"
)

// streamConn is one client connection: a reading goroutine that hands each
// query to a goroutine of its own, and writes serialised by wmu.
type streamConn struct {
	srv      *StreamServer
	nc       net.Conn
	clientID string
	slots    chan struct{} // one per query being answered
	pending  sync.WaitGroup
	stopping atomic.Bool

	wmu    sync.Mutex
	broken bool // a write failed: the connection is closing
	wbuf   []byte
}

// stopReading ends the read loop at its next read (Shutdown).
func (c *streamConn) stopReading() {
	c.wmu.Lock() // write moves the read deadline too
	defer c.wmu.Unlock()
	c.stopping.Store(true)
	_ = c.nc.SetReadDeadline(time.Now())
}

func (c *streamConn) serve() {
	defer c.nc.Close()
	if tc, ok := c.nc.(*tls.Conn); ok && !c.handshake(tc) {
		return
	}
	r := bufio.NewReaderSize(c.nc, 4096)
	var lenBuf [2]byte
	var msgBuf []byte
	for {
		_ = c.nc.SetReadDeadline(time.Now().Add(c.srv.cfg.IdleTimeout))
		if c.stopping.Load() {
			break // Shutdown came before the deadline was set
		}
		if got, err := io.ReadFull(r, lenBuf[:]); err != nil {
			if got == 0 && c.idleWait(err) {
				continue
			}
			break
		}
		n := int(binary.BigEndian.Uint16(lenBuf[:]))
		if n < 12 {
			break // not a DNS message: the stream cannot be trusted further
		}
		if cap(msgBuf) < n {
			msgBuf = make([]byte, n)
		}
		// The rest of a message whose length has arrived must follow soon.
		_ = c.nc.SetReadDeadline(time.Now().Add(c.srv.cfg.WriteTimeout))
		if _, err := io.ReadFull(r, msgBuf[:n]); err != nil {
			break
		}
		if !c.dispatch(msgBuf[:n]) {
			break
		}
	}
	// Answer what was read before closing: a client may send its queries
	// and half-close (RFC 7766 §6.2.4 allows either side to close once idle).
	c.pending.Wait()
}

// idleWait reports whether a read that failed with err should be retried:
// the idle deadline passed while queries were still being answered, which
// does not make the connection idle.
func (c *streamConn) idleWait(err error) bool {
	if c.stopping.Load() || !errors.Is(err, os.ErrDeadlineExceeded) {
		return false
	}
	return len(c.slots) > 0
}

func (c *streamConn) handshake(tc *tls.Conn) bool {
	ctx, cancel := context.WithTimeout(context.Background(), c.srv.cfg.IdleTimeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		c.srv.metrics.Rejected.WithLabelValues(c.srv.cfg.Protocol, "handshake").Inc()
		c.srv.log.Debug("tls handshake", zap.Stringer("client", c.nc.RemoteAddr()), zap.Error(err))
		return false
	}
	if c.srv.cfg.ClientID != nil {
		st := tc.ConnectionState()
		c.clientID = c.srv.cfg.ClientID(&st)
	}
	return true
}

// dispatch unpacks one query and answers it on a goroutine of its own. It
// returns false when the connection should close.
func (c *streamConn) dispatch(b []byte) bool {
	if b[2]&0x80 != 0 {
		return true // a response, not a query: ignored, as on UDP (no reflection)
	}
	// A Query of its own (the worker keeps it): the common query is read
	// straight from the wire, with one allocation instead of miekg's five.
	q := new(resolver.Query)
	m := &q.Msg
	if q.Unpack(b) != "" {
		// Not a well-formed message: FORMERR, with an OPT if it had one.
		out, err := resolver.FormErr(b, nil)
		return err == nil && c.write(out) == nil
	}
	c.slots <- struct{}{} // blocks reading while MaxInFlight are being answered
	c.pending.Add(1)
	c.srv.workers.run(streamQuery{c: c, m: m})
	return true
}

// streamQuery is one query read from a stream, answered by a worker.
type streamQuery struct {
	c *streamConn
	m *dns.Msg
}

func answerStream(q streamQuery) {
	defer func() {
		<-q.c.slots
		q.c.pending.Done()
	}()
	q.c.srv.handler.ServeDNS(streamWriter{c: q.c}, q.m)
}

// write sends one framed message. Answers from concurrent handlers are
// written whole, one at a time.
func (c *streamConn) write(b []byte) error {
	if len(b) > dns.MaxMsgSize {
		return errors.New("answer larger than 65535 bytes")
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.broken {
		return net.ErrClosed
	}
	c.wbuf = append(c.wbuf[:0], byte(len(b)>>8), byte(len(b)))
	c.wbuf = append(c.wbuf, b...)
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.srv.cfg.WriteTimeout))
	if _, err := c.nc.Write(c.wbuf); err != nil {
		// A client that does not read its answers gets no more: the reset
		// drops what the kernel still holds for it, and closing ends the
		// read loop.
		c.broken = true
		abort(c.nc)
		return err
	}
	if !c.stopping.Load() {
		// The idle timeout counts from the last answer, not the last query.
		_ = c.nc.SetReadDeadline(time.Now().Add(c.srv.cfg.IdleTimeout))
	}
	return nil
}

// streamWriter is the dns.ResponseWriter of one query on a stream. It is a
// value holding one pointer, so making it an interface allocates nothing.
type streamWriter struct {
	c *streamConn
}

var _ Identified = streamWriter{}

func (w streamWriter) LocalAddr() net.Addr  { return w.c.nc.LocalAddr() }
func (w streamWriter) RemoteAddr() net.Addr { return w.c.nc.RemoteAddr() }
func (w streamWriter) ClientID() string     { return w.c.clientID }
func (streamWriter) Close() error           { return nil }
func (streamWriter) TsigStatus() error      { return nil }
func (streamWriter) TsigTimersOnly(bool)    {}
func (streamWriter) Hijack()                {}
func (w streamWriter) WriteMsg(m *dns.Msg) error {
	b, err := m.Pack()
	if err != nil {
		return err
	}
	return w.c.write(b)
}
func (w streamWriter) Write(b []byte) (int, error) {
	if err := w.c.write(b); err != nil {
		return 0, err
	}
	return len(b), nil
}
