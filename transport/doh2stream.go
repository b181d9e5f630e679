package transport

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/zap"
	"golang.org/x/net/http2"

	"github.com/cleandns/cleandns/resolver"
)

// maxBody is the largest POST body taken: a DNS message's largest size.
const maxBody = dns.MaxMsgSize

// h2Stream is one request on an HTTP/2 connection, recycled through
// DoH.streams. Until it is dispatched only the reader touches it; after,
// its worker, and everyone under the connection's mu for the fields the
// comments say.
type h2Stream struct {
	c  *h2Conn
	id uint32

	// Under c.mu.
	remoteOpen bool  // the client may still send (no END_STREAM yet)
	wantBody   bool  // a POST whose body is being read into buf
	busy       bool  // with a worker
	reset      bool  // reset (by the client, or for an error): nothing more is written
	responded  bool  // HEADERS written
	sendWin    int64 // the client's window for our DATA on it
	recvWin    int64 // our window for its DATA
	recvd      int64 // body bytes read, given back to the connection window when it ends
	pending    []byte
	own        []byte // pending's storage once the answer's buffer is the edge's again
	waitSince  time.Time

	// The request, set by the reader.
	clientID  string
	head      bool
	forwarded []string // Forwarded, when the peer is a trusted proxy
	xff       []string // X-Forwarded-For, likewise
	buf       []byte   // the query's wire form (a GET's is decoded into it)

	msg dns.Msg
	w   dohWriter
}

// onHeaders opens a stream, or ends one with trailers (which are ignored).
func (c *h2Conn) onHeaders(f *http2.MetaHeadersFrame) error {
	id := f.StreamID
	if id%2 == 0 {
		return connError(http2.ErrCodeProtocol, "a client stream with an even ID")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if id <= c.maxID {
		st := c.streams[id]
		switch {
		case st == nil:
			return nil // ended on our side; its trailers may still come
		case !st.remoteOpen:
			return http2.StreamError{StreamID: id, Code: http2.ErrCodeStreamClosed}
		case !f.StreamEnded():
			return http2.StreamError{StreamID: id, Code: http2.ErrCodeProtocol}
		}
		st.remoteOpen = false
		c.endRequestLocked(st)
		return nil
	}
	if c.goingAway {
		return nil // past our GOAWAY's last stream: ignored (RFC 9113 §6.8)
	}
	c.maxID = id
	c.control = max(0, c.control-h2ControlPerStream)
	if len(c.streams) >= h2MaxStreams {
		return http2.StreamError{StreamID: id, Code: http2.ErrCodeRefusedStream}
	}
	st := c.d.newStream()
	st.c, st.id = c, id
	st.remoteOpen = !f.StreamEnded()
	st.sendWin, st.recvWin = c.peerWindow, h2StreamWindow
	c.streams[id] = st
	switch status := c.readRequest(st, f); {
	case status < 0:
		c.resetLocked(st)
		return http2.StreamError{StreamID: id, Code: http2.ErrCodeProtocol}
	case status > 0:
		c.respondErrorLocked(st, status)
		return nil
	}
	if !st.remoteOpen || !st.wantBody {
		c.endRequestLocked(st)
	}
	return nil
}

// readRequest reads the request's header fields into st: the query of a
// GET, what a POST's body needs. It returns the HTTP status that refuses
// the request, or 0. A malformed request (RFC 9113 §8.1.1) is a
// StreamError, raised by the caller's reset.
func (c *h2Conn) readRequest(st *h2Stream, f *http2.MetaHeadersFrame) int {
	if f.Truncated {
		return http.StatusRequestHeaderFieldsTooLarge
	}
	var method, path, ctype, clen string
	var scheme bool
	for _, hf := range f.Fields {
		switch hf.Name {
		case ":method":
			method = hf.Value
		case ":path":
			path = hf.Value
		case ":scheme":
			scheme = true
		case "content-type":
			ctype = hf.Value
		case "content-length":
			clen = hf.Value
		case "forwarded":
			if c.trusted {
				st.forwarded = append(st.forwarded, hf.Value)
			}
		case "x-forwarded-for":
			if c.trusted {
				st.xff = append(st.xff, hf.Value)
			}
		case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
			return -1 // connection-specific: malformed (§8.2.2)
		case "te":
			if hf.Value != "trailers" {
				return -1
			}
		}
	}
	if method == "" || (method != http.MethodConnect && (path == "" || !scheme)) {
		return -1
	}
	p, rawQuery, _ := strings.Cut(path, "?")
	if strings.IndexByte(p, '%') >= 0 {
		var err error
		if p, err = url.PathUnescape(p); err != nil {
			return http.StatusBadRequest
		}
	}
	id, ok := pathClientID(p)
	if !ok {
		return http.StatusNotFound
	}
	st.clientID = id
	switch method {
	case http.MethodGet:
		b, status := getQuery(rawQuery, st.buf[:0])
		st.buf = b
		return status
	case http.MethodPost:
		if !isDoHType(ctype) {
			return http.StatusUnsupportedMediaType
		}
		if n, err := strconv.ParseUint(clen, 10, 64); err == nil && n > maxBody {
			return http.StatusRequestEntityTooLarge
		}
		st.wantBody = true
		return 0
	}
	st.head = method == http.MethodHead
	return http.StatusMethodNotAllowed
}

// endRequestLocked is the request read whole: a POST's body is checked,
// and the query goes to a worker. A GET goes once its header is read,
// even when its END_STREAM comes later (an empty DATA frame, trailers):
// st.remoteOpen is the callers' to clear, so that the end, when it comes,
// finds the stream open rather than resets it. c.mu is held.
func (c *h2Conn) endRequestLocked(st *h2Stream) {
	if !st.wantBody {
		if !st.responded && !st.busy && !st.reset {
			c.dispatchLocked(st)
		}
		return
	}
	st.wantBody = false
	if status := bodyStatus(st.buf); status != 0 {
		c.respondErrorLocked(st, status)
		return
	}
	c.dispatchLocked(st)
}

func (c *h2Conn) dispatchLocked(st *h2Stream) {
	st.busy = true
	c.busy++
	c.d.h2workers.run(st)
}

// answerH2 answers one stream's query, on a worker.
func (d *DoH) answerH2(st *h2Stream) {
	c := st.c
	defer func() {
		if v := recover(); v != nil {
			c.log.Error("doh: answering panicked", zap.Any("panic", v))
			c.mu.Lock()
			c.resetLocked(st)
			_ = c.fr.WriteRSTStream(st.id, http2.ErrCodeInternal)
			c.mu.Unlock()
		}
		c.finish(st)
	}()
	m := &st.msg
	*m = dns.Msg{}
	if resolver.UnpackQuery(m, st.buf) != "" || m.Response {
		c.respondError(st, http.StatusBadRequest, "not a DNS query")
		return
	}
	remote := c.addrs.remote
	if c.trusted {
		remote = d.forwardedClient(c.addrs, st.forwarded, st.xff)
	}
	st.w = dohWriter{id: st.clientID, local: c.addrs.local, remote: remote, st: st}
	d.handler.ServeDNS(&st.w, m)
	if !st.w.wrote {
		// Dropped by policy (access or rate limit): HTTP has no silence.
		c.respondError(st, http.StatusForbidden, "")
	}
}

// resetLocked ends st on our side without (more of) an answer: its output
// is dropped, and it is released unless its worker still has it. c.mu is
// held.
func (c *h2Conn) resetLocked(st *h2Stream) {
	st.reset, st.remoteOpen, st.wantBody = true, false, false
	c.unwait(st)
	if !st.busy {
		c.releaseLocked(st)
	}
}

// finish is a worker done with st.
func (c *h2Conn) finish(st *h2Stream) {
	c.mu.Lock()
	st.busy = false
	c.busy--
	done := st.reset || (st.responded && st.pending == nil)
	if done {
		c.releaseLocked(st)
	}
	c.flushLocked()
	c.mu.Unlock()
}

// releaseLocked ends st: it no longer counts against the stream limit, its
// body's bytes go back to the connection window, and it is recycled. c.mu
// is held; st is not touched again by the caller.
func (c *h2Conn) releaseLocked(st *h2Stream) {
	if c.streams[st.id] != st {
		return // released already
	}
	delete(c.streams, st.id)
	if st.remoteOpen {
		// Answered before the request was whole: the rest is not wanted
		// (RFC 9113 §8.1).
		_ = c.fr.WriteRSTStream(st.id, http2.ErrCodeNo)
	}
	if st.recvd > 0 {
		c.giveBack(st.recvd)
	}
	if st.responded && !st.reset {
		c.answers++
		if c.answers%4 == 0 && c.resets > 0 {
			c.resets--
		}
	}
	c.wakeIfDone()
	c.d.recycleStream(st)
}

// newStream is a recycled stream, or a new one.
func (d *DoH) newStream() *h2Stream {
	if st, _ := d.streams.Get().(*h2Stream); st != nil {
		return st
	}
	return &h2Stream{buf: make([]byte, 0, dohBufSize)}
}

func (d *DoH) recycleStream(st *h2Stream) {
	buf, own := st.buf[:0], st.own[:0]
	if cap(buf) > dohBufSize {
		buf = make([]byte, 0, dohBufSize)
	}
	if cap(own) > dohBufSize {
		own = nil
	}
	fwd, xff := st.forwarded[:0], st.xff[:0]
	*st = h2Stream{buf: buf, own: own, forwarded: fwd, xff: xff}
	d.streams.Put(st)
}
