package transport

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// answer is the worker's answer b on st: 200 with the answer's cache
// lifetime. b is copied before answer returns.
func (c *h2Conn) answer(st *h2Stream, b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return 0, fmt.Errorf("doh: answering on a closed connection: %w", c.err)
	}
	maxAge := int64(-1)
	if ttl, ok := minTTL(b); ok {
		maxAge = int64(ttl)
	}
	c.respondLocked(st, http.StatusOK, dohType, b, maxAge)
	return len(b), nil
}

// respondError answers st with status and a text body, as http.Error does.
func (c *h2Conn) respondError(st *h2Stream, status int, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.respondErrorTextLocked(st, status, text)
}

// respondErrorLocked answers st with status and its standard text; when
// st has no worker, st is the caller's no longer. c.mu is held.
func (c *h2Conn) respondErrorLocked(st *h2Stream, status int) {
	c.respondErrorTextLocked(st, status, "")
}

func (c *h2Conn) respondErrorTextLocked(st *h2Stream, status int, text string) {
	switch {
	case status == http.StatusNotFound:
		text = "404 page not found" // http.NotFound's
	case text == "":
		text = http.StatusText(status)
	}
	c.respondLocked(st, status, "text/plain; charset=utf-8", []byte(text+"\n"), -1)
}

// respondLocked writes st's response: HEADERS, then the body as DATA as
// far as the client's windows allow; what they do not is kept on st until
// a WINDOW_UPDATE. maxAge < 0 sends no Cache-Control. c.mu is held.
func (c *h2Conn) respondLocked(st *h2Stream, status int, ctype string, body []byte, maxAge int64) {
	if st.reset || st.responded || c.err != nil {
		return
	}
	st.responded = true
	if st.head {
		body = body[:0:0]
	}
	c.hbuf.Reset()
	var num [24]byte
	c.field(":status", string(strconv.AppendInt(num[:0], int64(status), 10)))
	c.field("content-type", ctype)
	c.field("content-length", string(strconv.AppendInt(num[:0], int64(len(body)), 10)))
	if maxAge >= 0 {
		c.field("cache-control", string(strconv.AppendInt(append(num[:0], "max-age="...), maxAge, 10)))
	}
	if status != http.StatusOK {
		c.field("x-content-type-options", "nosniff")
	}
	c.field("date", c.httpDate())
	// A header block this small fits in one frame of any allowed size.
	_ = c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: st.id, BlockFragment: c.hbuf.Bytes(), EndStream: len(body) == 0, EndHeaders: true})
	st.pending = body
	sent := c.sendLocked(st)
	c.ends = append(c.ends, len(c.out))
	if !sent {
		// Kept until the window opens: the caller's buffer is not ours.
		st.own = append(st.own[:0], st.pending...)
		st.pending = st.own
		c.wait(st)
		return
	}
	if !st.busy {
		c.releaseLocked(st)
	}
}

func (c *h2Conn) field(name, value string) {
	_ = c.enc.WriteField(hpack.HeaderField{Name: name, Value: value})
}

// httpDate is the Date header's value, formatted once a second.
func (c *h2Conn) httpDate() string {
	now := time.Now()
	if s := now.Unix(); s != c.dateSec || c.date == "" {
		c.dateSec, c.date = s, now.UTC().Format(http.TimeFormat)
	}
	return c.date
}

// sendLocked writes as much of st's pending body as the windows and the
// client's frame size allow; it reports whether all of it went. c.mu is
// held.
func (c *h2Conn) sendLocked(st *h2Stream) bool {
	for len(st.pending) > 0 {
		n := int64(min(len(st.pending), c.peerFrame))
		n = min(n, st.sendWin, c.sendConn)
		if n <= 0 {
			return false
		}
		end := n == int64(len(st.pending))
		_ = c.fr.WriteData(st.id, end, st.pending[:n])
		st.pending = st.pending[n:]
		st.sendWin -= n
		c.sendConn -= n
	}
	st.pending = nil
	return true
}

// wait puts st on the waiting list, and arms the stall timer: a client
// that gives no window for the write timeout loses the connection, as one
// that does not read would.
func (c *h2Conn) wait(st *h2Stream) {
	if !st.waitSince.IsZero() {
		return
	}
	st.waitSince = time.Now()
	c.waiting = append(c.waiting, st)
	if c.stall == nil {
		c.stall = time.AfterFunc(c.t.write, c.checkStall)
	} else if len(c.waiting) == 1 {
		c.stall.Reset(c.t.write)
	}
}

// unwait takes st off the waiting list, its body dropped. c.mu is held.
func (c *h2Conn) unwait(st *h2Stream) {
	st.pending = nil
	if st.waitSince.IsZero() {
		return
	}
	st.waitSince = time.Time{}
	for i, w := range c.waiting {
		if w == st {
			c.waiting = append(c.waiting[:i], c.waiting[i+1:]...)
			break
		}
	}
}

// checkStall closes the connection if a stream has waited for window for
// c.t.write; otherwise it waits for the oldest waiting stream.
func (c *h2Conn) checkStall() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.waiting) == 0 || c.err != nil {
		return
	}
	if left := c.t.write - time.Since(c.waiting[0].waitSince); left > 0 {
		c.stall.Reset(left)
		return
	}
	c.failLocked(errStalled)
}

// resume sends what waiting streams can now that a window grew. A stream
// keeps the time it started waiting: its answer goes whole within
// c.t.write of that, or the connection closes. c.mu is held.
func (c *h2Conn) resume() {
	kept := c.waiting[:0]
	for _, st := range c.waiting {
		if !c.sendLocked(st) {
			kept = append(kept, st)
			continue
		}
		st.waitSince = time.Time{}
		if !st.busy {
			c.releaseLocked(st)
		}
	}
	clear(c.waiting[len(kept):])
	c.waiting = kept
}

// flushLocked writes the output, and what is added meanwhile, unless a
// write is in progress (its writer takes what was added). Each response
// is written by a Write of its own, so a TLS record of its own (HEADERS
// and DATA together): dnsperf's DoH client takes one response per record
// it reads, and lost the others when several answers shared one. c.mu is
// held, and released while writing.
func (c *h2Conn) flushLocked() {
	if c.flushing {
		return
	}
	c.flushing = true
	for len(c.out) > 0 && c.err == nil {
		buf, ends := c.out, c.ends
		c.out, c.spare = c.spare[:0], nil
		c.ends, c.spareEnds = c.spareEnds[:0], nil
		now := time.Now()
		if want := now.Add(c.t.write); c.wdl.Before(want.Add(-slack(c.t.write))) {
			c.wdl = want
			_ = c.conn.SetWriteDeadline(want)
		}
		c.mu.Unlock()
		err := writeRecords(c.conn, buf, ends)
		c.mu.Lock()
		if cap(buf) <= 64<<10 {
			c.spare = buf[:0]
		}
		c.spareEnds = ends[:0]
		if err != nil {
			c.failLocked(fmt.Errorf("doh: writing: %w", err))
		}
		c.drained.Broadcast()
	}
	if c.err != nil {
		c.out, c.ends = c.out[:0], c.ends[:0]
	}
	c.flushing = false
	c.drained.Broadcast()
}

// writeRecords writes buf to w, one Write up to each of ends (where a
// response's frames end) and one for the rest.
func writeRecords(w io.Writer, buf []byte, ends []int) error {
	start := 0
	for _, end := range ends {
		if _, err := w.Write(buf[start:end]); err != nil {
			return err
		}
		start = end
	}
	if start < len(buf) {
		_, err := w.Write(buf[start:])
		return err
	}
	return nil
}

// flushWait is the reader's flush before it waits for the client: its own
// frames go out, or, behind another's write, wait there within bounds. It
// reports false when the connection is done.
func (c *h2Conn) flushWait() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flushLocked()
	for c.flushing && len(c.out) > h2OutLimit && c.err == nil {
		c.drained.Wait()
	}
	stop := c.err != nil || (c.goingAway && len(c.streams) == 0)
	if !stop {
		c.setReadDeadlineLocked()
	}
	return !stop
}

// failLocked ends the connection at once: nothing more is written, and
// the reset (no lingering close) drops what the kernel still holds for a
// client that does not read. c.mu is held.
func (c *h2Conn) failLocked(err error) {
	if c.err == nil {
		c.log.Debug("doh: http/2 connection closed", zap.Stringer("client", c.conn.RemoteAddr()), zap.Error(err))
	}
	if c.err == nil {
		c.err = err
	}
	abort(c.conn)
}

// slack is how far a deadline of d from now may lag before it is moved:
// a tenth, at most a second, so that it is not set at every read or write.
func slack(d time.Duration) time.Duration { return min(d/10, time.Second) }

// errStalled is a client that gave no flow-control window for an answer.
var errStalled = errors.New("doh: the client gave no window for an answer within the write timeout")
