package transport

import (
	"fmt"
	"math"

	"golang.org/x/net/http2"
)

// handle acts on one frame read. An error is a ConnectionError or a
// StreamError for readFailed.
func (c *h2Conn) handle(f http2.Frame) error {
	switch f := f.(type) {
	case *http2.MetaHeadersFrame:
		return c.onHeaders(f)
	case *http2.DataFrame:
		return c.onData(f)
	case *http2.SettingsFrame:
		if f.IsAck() {
			return nil
		}
		if err := c.countControl(); err != nil {
			return err
		}
		return c.onSettings(f)
	case *http2.PingFrame:
		if err := c.countControl(); err != nil || f.IsAck() {
			return err
		}
		c.mu.Lock()
		_ = c.fr.WritePing(true, f.Data)
		c.mu.Unlock()
		return nil
	case *http2.WindowUpdateFrame:
		if err := c.countControl(); err != nil {
			return err
		}
		return c.onWindowUpdate(f)
	case *http2.RSTStreamFrame:
		return c.onReset(f)
	case *http2.GoAwayFrame:
		// The client opens no more streams: answer those in flight, then
		// close.
		c.shutdown()
		return nil
	case *http2.PushPromiseFrame:
		return connError(http2.ErrCodeProtocol, "PUSH_PROMISE from a client")
	case *http2.ContinuationFrame: // the Framer joins them to their HEADERS
		return connError(http2.ErrCodeProtocol, "CONTINUATION without HEADERS")
	}
	// PRIORITY (RFC 9113 deprecates it) and unknown frame types are
	// ignored, within the allowance.
	return c.countControl()
}

// connError is a connection error for readFailed. The reason is for the
// Framer's users only; GOAWAY carries the code.
func connError(code http2.ErrCode, reason string) error {
	return fmt.Errorf("%s: %w", reason, http2.ConnectionError(code))
}

// onSettings applies the client's settings and acknowledges them.
func (c *h2Conn) onSettings(f *http2.SettingsFrame) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	err := f.ForeachSetting(func(s http2.Setting) error {
		if err := s.Valid(); err != nil {
			return err
		}
		switch s.ID {
		case http2.SettingInitialWindowSize:
			return c.setPeerWindow(int64(s.Val))
		case http2.SettingMaxFrameSize:
			c.peerFrame = int(s.Val)
		case http2.SettingHeaderTableSize:
			c.enc.SetMaxDynamicTableSizeLimit(s.Val)
		}
		return nil
	})
	if err != nil {
		return err
	}
	_ = c.fr.WriteSettingsAck()
	c.resume()
	return nil
}

// setPeerWindow changes every stream's send window by the change of the
// initial window (RFC 9113 §6.9.2). c.mu is held.
func (c *h2Conn) setPeerWindow(w int64) error {
	delta := w - c.peerWindow
	c.peerWindow = w
	for _, st := range c.streams {
		st.sendWin += delta
		if st.sendWin > math.MaxInt32 {
			return http2.ConnectionError(http2.ErrCodeFlowControl)
		}
	}
	return nil
}

func (c *h2Conn) onWindowUpdate(f *http2.WindowUpdateFrame) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	inc := int64(f.Increment)
	if f.StreamID == 0 {
		c.sendConn += inc
		if c.sendConn > math.MaxInt32 {
			return http2.ConnectionError(http2.ErrCodeFlowControl)
		}
	} else if st := c.streams[f.StreamID]; st != nil {
		st.sendWin += inc
		if st.sendWin > math.MaxInt32 {
			return http2.StreamError{StreamID: f.StreamID, Code: http2.ErrCodeFlowControl}
		}
	} else if f.StreamID > c.maxID {
		return connError(http2.ErrCodeProtocol, "WINDOW_UPDATE on an idle stream")
	}
	c.resume()
	return nil
}

// onReset is the client cancelling a stream: its answer, if any comes, is
// dropped.
func (c *h2Conn) onReset(f *http2.RSTStreamFrame) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f.StreamID > c.maxID {
		return connError(http2.ErrCodeProtocol, "RST_STREAM on an idle stream")
	}
	st := c.streams[f.StreamID]
	if st == nil {
		return nil // ended already, on our side
	}
	c.resetLocked(st)
	if !c.countReset() {
		return http2.ConnectionError(http2.ErrCodeEnhanceYourCalm)
	}
	return nil
}

// onData takes a POST's body. DATA on a stream that wants none (ended by
// us, or a GET) is dropped, its bytes given back to the connection window.
func (c *h2Conn) onData(f *http2.DataFrame) error {
	n := int64(f.Header().Length) // padding included: RFC 9113 §6.9.1
	c.mu.Lock()
	defer c.mu.Unlock()
	if n > c.recvConn {
		return connError(http2.ErrCodeFlowControl, "DATA beyond the connection window")
	}
	c.recvConn -= n
	st := c.streams[f.StreamID]
	if st == nil || !st.remoteOpen {
		c.giveBack(n)
		if f.StreamID > c.maxID {
			return connError(http2.ErrCodeProtocol, "DATA on an idle stream")
		}
		if st != nil { // half-closed (remote): RFC 9113 §5.1
			return http2.StreamError{StreamID: f.StreamID, Code: http2.ErrCodeStreamClosed}
		}
		return nil
	}
	if n > st.recvWin {
		return http2.StreamError{StreamID: f.StreamID, Code: http2.ErrCodeFlowControl}
	}
	st.recvWin -= n
	if n == 0 && !f.StreamEnded() {
		if err := c.countControl(); err != nil {
			return err
		}
	}
	if !st.wantBody {
		c.giveBack(n)
	} else {
		st.recvd += n
		st.buf = append(st.buf, f.Data()...)
		if len(st.buf) > maxBody {
			// Refused at once; the rest of the body is dropped as it comes.
			st.wantBody = false
			st.remoteOpen = !f.StreamEnded()
			c.giveBack(st.recvd)
			st.recvd = 0
			c.respondErrorLocked(st, 413)
			return nil
		}
		if !f.StreamEnded() && st.recvWin < h2StreamWindow/2 {
			_ = c.fr.WriteWindowUpdate(st.id, uint32(h2StreamWindow-st.recvWin))
			st.recvWin = h2StreamWindow
		}
	}
	if f.StreamEnded() {
		st.remoteOpen = false
		c.endRequestLocked(st)
	}
	return nil
}

// giveBack returns n bytes to the client's connection window, in updates
// of at least a quarter of it. c.mu is held.
func (c *h2Conn) giveBack(n int64) {
	c.owed += n
	if c.owed >= h2ConnWindow/4 {
		_ = c.fr.WriteWindowUpdate(0, uint32(c.owed))
		c.recvConn += c.owed
		c.owed = 0
	}
}
