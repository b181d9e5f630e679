package transport

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// The HTTP/2 DoH connection loop's limits. net/http's HTTP/2 server cost
// about twice the CPU per query of Unbound's DoH: a goroutine per request
// and per header write, and an answer's HEADERS and DATA in two TLS
// records and two write calls. This loop serves only RFC 8484 requests:
// one reader per connection, queries answered by the DoH workers, and an
// answer's frames, with any others ready by then, in one TLS write.
const (
	// h2MaxStreams is SETTINGS_MAX_CONCURRENT_STREAMS. A stream counts
	// until its answer is written whole, reset or not, so neither resets
	// nor a client that stops reading get more queries answered at once.
	h2MaxStreams = 100
	// h2MaxHeaderList is SETTINGS_MAX_HEADER_LIST_SIZE: HTTP/1.1's
	// MaxHeaderBytes. x/net's Framer closes the connection when a header
	// block goes far past it (CONTINUATION floods).
	h2MaxHeaderList = 16 << 10
	// h2StreamWindow is SETTINGS_INITIAL_WINDOW_SIZE: what a POST may send
	// before the loop gives it more room. A query is rarely over 100 bytes.
	h2StreamWindow = 16 << 10
	// h2ConnWindow is the connection's receive window. Body bytes are given
	// back when their stream ends, so it bounds the bodies held at once.
	h2ConnWindow = 1 << 20
	// h2MaxResets closes a connection that resets (or has refused) this
	// many more streams than a quarter of those it was answered on: the
	// "rapid reset" pattern (CVE-2023-44487).
	h2MaxResets = 100
	// h2MaxControl closes a connection that has sent this many more frames
	// that carry no request (PING, SETTINGS, PRIORITY, WINDOW_UPDATE, empty
	// DATA, unknown types) than h2ControlPerStream for each stream it
	// opened: a burst of 1,000 at any time, and no more than 100 a stream
	// on average, so that a flood cannot go on by opening a stream now and
	// then. A browser sends a few a stream (WINDOW_UPDATE, PRIORITY_UPDATE).
	h2MaxControl       = 1000
	h2ControlPerStream = 100
	// h2OutLimit is how much output may wait behind a write in progress
	// before the reader stops reading (PING acknowledgements to a client
	// that does not read).
	h2OutLimit = 256 << 10
)

// h2Timeouts are a connection's deadlines.
type h2Timeouts struct {
	// idle closes a connection without a stream for this long.
	idle time.Duration
	// read closes a connection whose open request sends nothing for this
	// long, and write one that takes no bytes, or gives no flow-control
	// window, for this long: net/http's ReadTimeout and WriteTimeout on
	// HTTP/1.1.
	read, write time.Duration
	// preface bounds the client preface and first SETTINGS, as
	// ReadHeaderTimeout bounds an HTTP/1.1 request's header.
	preface time.Duration
}

func defaultH2Timeouts(idle time.Duration) h2Timeouts {
	return h2Timeouts{idle: idle, read: 10 * time.Second, write: 10 * time.Second, preface: 5 * time.Second}
}

// h2Conn is one HTTP/2 DoH connection. The reader goroutine (serve) reads
// every frame; workers answer its queries; whoever has output writes it.
type h2Conn struct {
	d       *DoH
	conn    net.Conn // TLS, but for tests
	addrs   *dohConnAddrs
	trusted bool // the peer is a trusted proxy: its forwarding headers count
	t       h2Timeouts
	log     *zap.Logger
	br      *bufio.Reader
	fr      *http2.Framer // reads on the reader; writes under mu, into out

	// The reader's own.
	rdl     time.Time // the read deadline set
	control int       // frames without a request, less h2ControlPerStream a stream opened

	mu      sync.Mutex
	drained sync.Cond // signalled after each write of out
	streams map[uint32]*h2Stream
	maxID   uint32 // the highest stream ID the client opened
	busy    int    // streams with a worker
	resets  int    // see h2MaxResets
	answers uint   // streams answered, for the reset allowance
	// Flow control: what the peer lets us send, and what it may send us.
	sendConn    int64
	peerWindow  int64 // the peer's SETTINGS_INITIAL_WINDOW_SIZE
	peerFrame   int   // the peer's SETTINGS_MAX_FRAME_SIZE
	recvConn    int64 // the connection window we have left to the peer
	owed        int64 // bytes read and released, not yet given back
	waiting     []*h2Stream
	stall       *time.Timer // closes the connection when a waiting stream waits too long
	enc         *hpack.Encoder
	hbuf        bytes.Buffer
	out, spare  []byte // framed output not yet written, and the buffer the last write used
	ends        []int  // where in out each response's frames end: a Write each
	spareEnds   []int
	flushing    bool
	wdl         time.Time // the write deadline set
	goingAway   bool      // no new streams; closed when the last ends
	started     bool      // our SETTINGS are written: frames may follow them
	wroteGoAway bool
	err         error // the connection failed or closed: nothing more is written
	dateSec     int64
	date        string
}

func newH2Conn(d *DoH, tc net.Conn, t h2Timeouts, log *zap.Logger) *h2Conn {
	addrs := newConnAddrs(tc.LocalAddr(), tc.RemoteAddr().String())
	c := &h2Conn{
		d: d, conn: tc, addrs: addrs, t: t, log: log,
		trusted:    addrs.remote != nil && d.trusted.Contains(addrs.peer.Addr()),
		br:         bufio.NewReaderSize(tc, 4<<10),
		streams:    make(map[uint32]*h2Stream),
		sendConn:   65535,
		peerWindow: 65535,
		peerFrame:  16384,
		recvConn:   h2ConnWindow,
	}
	c.drained.L = &c.mu
	c.fr = http2.NewFramer(h2Out{c}, c.br)
	c.fr.SetMaxReadFrameSize(16384) // the default, which we do not raise
	c.fr.SetReuseFrames()
	c.fr.MaxHeaderListSize = h2MaxHeaderList
	c.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	c.enc = hpack.NewEncoder(&c.hbuf)
	return c
}

// h2Out is the Framer's writer: frames are appended to the output under mu.
type h2Out struct{ c *h2Conn }

func (o h2Out) Write(b []byte) (int, error) {
	o.c.out = append(o.c.out, b...)
	return len(b), nil
}

// serve runs the connection to its end; it closes it.
func (c *h2Conn) serve() {
	defer c.close()
	if err := c.start(); err != nil {
		c.log.Debug("doh: http/2 preface", zap.Stringer("client", c.conn.RemoteAddr()), zap.Error(err))
		return
	}
	for {
		if c.br.Buffered() == 0 {
			// About to wait for the client: what we owe it goes out first.
			if !c.flushWait() {
				return
			}
		}
		f, err := c.fr.ReadFrame()
		if err == nil {
			err = c.handle(f)
		}
		if err != nil && !c.readFailed(err) {
			return
		}
	}
}

// start reads the client preface and first SETTINGS frame and sends ours
// (RFC 9113 §3.4).
func (c *h2Conn) start() error {
	_ = c.conn.SetReadDeadline(time.Now().Add(c.t.preface))
	var pre [len(http2.ClientPreface)]byte
	if _, err := io.ReadFull(c.br, pre[:]); err != nil {
		return fmt.Errorf("reading the client preface: %w", err)
	}
	if string(pre[:]) != http2.ClientPreface {
		return errors.New("not the HTTP/2 client preface")
	}
	c.mu.Lock()
	err := c.fr.WriteSettings(
		http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: h2MaxStreams},
		http2.Setting{ID: http2.SettingMaxHeaderListSize, Val: h2MaxHeaderList},
		http2.Setting{ID: http2.SettingInitialWindowSize, Val: h2StreamWindow},
	)
	if err == nil {
		err = c.fr.WriteWindowUpdate(0, h2ConnWindow-65535)
	}
	c.started = true
	if c.goingAway { // shut down before it started: the GOAWAY follows the SETTINGS
		c.goAwayLocked(http2.ErrCodeNo)
	}
	c.flushLocked()
	c.mu.Unlock()
	if err != nil {
		return fmt.Errorf("writing SETTINGS: %w", err)
	}
	f, err := c.fr.ReadFrame()
	if err != nil {
		c.readFailed(err) // GOAWAY for a malformed frame
		return fmt.Errorf("reading the first SETTINGS: %w", err)
	}
	sf, ok := f.(*http2.SettingsFrame)
	if !ok || sf.IsAck() {
		c.goAway(http2.ErrCodeProtocol)
		return fmt.Errorf("first frame %v, not SETTINGS", f.Header().Type)
	}
	if err := c.onSettings(sf); err != nil {
		c.goAway(codeOf(err))
		return err
	}
	return nil
}

// setReadDeadlineLocked sets the deadline of the next read: ReadTimeout
// while a request is incomplete, the idle timeout otherwise. It moves the
// deadline only when it is out by more than its slack, not at every read. c.mu
// is held, so that a stream ending meanwhile (and waking the reader for a
// graceful close) is not missed.
func (c *h2Conn) setReadDeadlineLocked() {
	d := c.t.idle
	if len(c.streams) > c.busy+len(c.waiting) { // a request not yet whole
		d = min(d, c.t.read)
	}
	want := time.Now().Add(d)
	if c.rdl.Before(want.Add(-slack(d))) || c.rdl.After(want) {
		c.rdl = want
		_ = c.conn.SetReadDeadline(want)
	}
}

// readFailed handles an error from reading or handling a frame; it
// reports whether the connection goes on.
func (c *h2Conn) readFailed(err error) bool {
	var se http2.StreamError
	var ce http2.ConnectionError
	switch {
	case errors.As(err, &se):
		c.mu.Lock()
		if se.StreamID > c.maxID && se.StreamID%2 == 1 {
			c.maxID = se.StreamID // its headers were read: the ID is used
		}
		if st := c.streams[se.StreamID]; st != nil {
			c.resetLocked(st)
		}
		_ = c.fr.WriteRSTStream(se.StreamID, se.Code)
		ok := c.countReset()
		c.mu.Unlock()
		return ok
	case errors.As(err, &ce):
		c.goAway(http2.ErrCode(ce))
	case errors.Is(err, http2.ErrFrameTooLarge):
		c.goAway(http2.ErrCodeFrameSize)
	case errors.Is(err, os.ErrDeadlineExceeded):
		c.mu.Lock()
		waitsForUs := len(c.streams) > 0 && len(c.streams) == c.busy+len(c.waiting)
		c.mu.Unlock()
		if waitsForUs { // the client waits for us, not we for it
			c.rdl = time.Time{}
			return true
		}
		c.goAway(http2.ErrCodeNo)
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
	default:
		c.log.Debug("doh: http/2 connection", zap.Stringer("client", c.conn.RemoteAddr()), zap.Error(err))
	}
	return false
}

// codeOf is the HTTP/2 error code of a connection error from a handler.
func codeOf(err error) http2.ErrCode {
	var ce http2.ConnectionError
	if errors.As(err, &ce) {
		return http2.ErrCode(ce)
	}
	return http2.ErrCodeProtocol
}

// goAway sends GOAWAY with code and the last stream ID opened; the
// connection takes no new streams after it.
func (c *h2Conn) goAway(code http2.ErrCode) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.goAwayLocked(code)
	c.flushLocked()
}

func (c *h2Conn) goAwayLocked(code http2.ErrCode) {
	c.goingAway = true
	if c.wroteGoAway || c.err != nil {
		return
	}
	c.wroteGoAway = true
	_ = c.fr.WriteGoAway(c.maxID, code, nil)
}

// shutdown is graceful: GOAWAY, the streams in flight answered, then the
// connection closed by the reader, woken by whoever ends the last stream.
func (c *h2Conn) shutdown() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.started {
		c.goingAway = true // start sends the GOAWAY: our SETTINGS come first (RFC 9113 §3.4)
		return
	}
	c.goAwayLocked(http2.ErrCodeNo)
	c.flushLocked()
	c.wakeIfDone()
}

// wakeIfDone wakes the reader once a connection going away has no stream
// left: its read fails at once, and it closes the connection. c.mu is
// held.
func (c *h2Conn) wakeIfDone() {
	if c.goingAway && len(c.streams) == 0 {
		_ = c.conn.SetReadDeadline(time.Now())
	}
}

// abort closes the connection at once (a shutdown out of time).
func (c *h2Conn) abort() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failLocked(errors.New("doh: shut down"))
}

// close ends the connection when its reader is done: the output still
// queued is written (within the write deadline), then the TLS connection
// closed. After a GOAWAY it lingers first: a client still sending when
// the socket closes would get a reset, and lose the GOAWAY with it.
func (c *h2Conn) close() {
	c.mu.Lock()
	for c.flushing {
		c.drained.Wait()
	}
	c.flushLocked()
	linger := c.wroteGoAway && c.err == nil
	if c.err == nil {
		c.err = net.ErrClosed
	}
	c.mu.Unlock()
	if linger {
		c.linger()
	}
	_ = c.conn.Close()
}

// h2Linger bounds a closing connection's wait for the client to close its
// side.
const h2Linger = time.Second

// linger closes our side for writing and discards what the client still
// sends, until it closes too, within h2Linger and a megabyte.
func (c *h2Conn) linger() {
	nc := c.conn
	if tc, ok := nc.(*tls.Conn); ok {
		_ = tc.CloseWrite() // close_notify
		nc = tc.NetConn()
	}
	if tcp, ok := nc.(interface{ CloseWrite() error }); ok {
		_ = tcp.CloseWrite()
	}
	_ = nc.SetReadDeadline(time.Now().Add(h2Linger))
	_, _ = io.CopyN(io.Discard, nc, 1<<20)
}

// countReset counts one stream reset or refused, and, past the allowance,
// sends GOAWAY and closes the connection; it reports whether it goes on.
// c.mu is held.
func (c *h2Conn) countReset() bool {
	c.resets++
	if c.resets <= h2MaxResets {
		return true
	}
	c.goAwayLocked(http2.ErrCodeEnhanceYourCalm)
	c.flushLocked()
	return false
}

// countControl counts one frame that carries no request; it reports false
// once there were too many.
func (c *h2Conn) countControl() error {
	c.control++
	if c.control > h2MaxControl {
		return http2.ConnectionError(http2.ErrCodeEnhanceYourCalm)
	}
	return nil
}
