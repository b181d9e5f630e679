package transport

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// TestDoH2Abuse: floods and malformed frames end the connection with
// GOAWAY and the right code (or a close), and the server goes on serving.
func TestDoH2Abuse(t *testing.T) {
	s := startH2(t, echo(50*time.Millisecond), nil)
	frame := func(typ http2.FrameType, flags http2.Flags, stream uint32, payload []byte) []byte {
		var h [9]byte
		h[0], h[1], h[2] = byte(len(payload)>>16), byte(len(payload)>>8), byte(len(payload))
		h[3], h[4] = byte(typ), byte(flags)
		binary.BigEndian.PutUint32(h[5:], stream)
		return append(h[:], payload...)
	}
	tests := []struct {
		name     string
		settings []http2.Setting // nil: no SETTINGS first
		send     func(c *rawH2)
		want     http2.ErrCode
		closed   bool // a close without GOAWAY will do
	}{
		{"rapid reset", []http2.Setting{}, func(c *rawH2) {
			for i := range 500 {
				id := uint32(2*i + 1)
				_ = c.get(id, "slow.test")
				_ = c.fr.WriteRSTStream(id, http2.ErrCodeCancel)
			}
		}, http2.ErrCodeEnhanceYourCalm, false},
		{"CONTINUATION flood", []http2.Setting{}, func(c *rawH2) {
			block := c.headers("GET", getPath(t, "x.test"))
			_ = c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block})
			// Never indexed, so each fragment decodes alone.
			var jb bytes.Buffer
			_ = hpack.NewEncoder(&jb).WriteField(hpack.HeaderField{Name: "x-junk", Value: strings.Repeat("y", 4000), Sensitive: true})
			junk := jb.Bytes()
			for range 1000 {
				if c.fr.WriteContinuation(1, false, junk) != nil {
					return
				}
			}
		}, http2.ErrCodeProtocol, false},
		{"PING flood", []http2.Setting{}, func(c *rawH2) {
			go func() { _, _ = io.Copy(io.Discard, c.conn) }()
			for range 2000 {
				_ = c.fr.WritePing(false, [8]byte{1})
			}
		}, http2.ErrCodeEnhanceYourCalm, true}, // the reader above may take the GOAWAY
		{"PING flood with a stream now and then", []http2.Setting{}, func(c *rawH2) {
			for i := range 40 {
				if c.get(uint32(2*i+1), "x.test") != nil { // each stream forgives h2ControlPerStream, not all
					return
				}
				for range 500 {
					if c.fr.WritePing(false, [8]byte{2}) != nil {
						return
					}
				}
			}
		}, http2.ErrCodeEnhanceYourCalm, false},
		{"SETTINGS flood", []http2.Setting{}, func(c *rawH2) {
			for range 2000 {
				_ = c.fr.WriteSettings()
			}
		}, http2.ErrCodeEnhanceYourCalm, false},
		{"empty DATA flood", []http2.Setting{}, func(c *rawH2) {
			_ = c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: c.headers("POST", "/dns-query", "content-type", dohType), EndHeaders: true})
			for range 2000 {
				_ = c.fr.WriteData(1, false, nil)
			}
		}, http2.ErrCodeEnhanceYourCalm, false},
		{"DATA on stream 0", []http2.Setting{}, func(c *rawH2) { _, _ = c.conn.Write(frame(http2.FrameData, 0, 0, []byte("x"))) }, http2.ErrCodeProtocol, false},
		{"DATA on an idle stream", []http2.Setting{}, func(c *rawH2) { _ = c.fr.WriteData(9, true, []byte("x")) }, http2.ErrCodeProtocol, false},
		{"even stream ID", []http2.Setting{}, func(c *rawH2) {
			_ = c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 2, BlockFragment: c.headers("GET", getPath(t, "x.test")), EndStream: true, EndHeaders: true})
		}, http2.ErrCodeProtocol, false},
		{"frame too large", []http2.Setting{}, func(c *rawH2) { _, _ = c.conn.Write(frame(http2.FrameData, 0, 1, make([]byte, 20000))) }, http2.ErrCodeFrameSize, false},
		{"bad HPACK", []http2.Setting{}, func(c *rawH2) {
			_ = c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: []byte{0xff, 0xff, 0xff, 0xff, 0xff}, EndStream: true, EndHeaders: true})
		}, http2.ErrCodeCompression, false},
		{"connection window overflow", []http2.Setting{}, func(c *rawH2) { _ = c.fr.WriteWindowUpdate(0, 1<<31-1) }, http2.ErrCodeFlowControl, false},
		{"bad SETTINGS value", nil, func(c *rawH2) {
			_ = c.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 31})
		}, http2.ErrCodeFlowControl, false},
		{"SETTINGS of a bad length", nil, func(c *rawH2) { _, _ = c.conn.Write(frame(http2.FrameSettings, 0, 0, make([]byte, 5))) }, http2.ErrCodeFrameSize, false},
		{"PUSH_PROMISE", []http2.Setting{}, func(c *rawH2) {
			_ = c.fr.WritePushPromise(http2.PushPromiseParam{StreamID: 1, PromiseID: 2, EndHeaders: true})
		}, http2.ErrCodeProtocol, false},
		{"first frame not SETTINGS", nil, func(c *rawH2) { _ = c.fr.WritePing(false, [8]byte{}) }, http2.ErrCodeProtocol, false},
		{"HTTP/1.1 after the preface", nil, func(c *rawH2) { _, _ = io.WriteString(c.conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n") }, http2.ErrCodeFrameSize, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, s, tc.settings)
			go tc.send(c)
			code, ok := c.untilGoAway(5*time.Second, nil)
			if ok && code != tc.want {
				t.Errorf("GOAWAY %v, want %v", code, tc.want)
			}
			if !ok && !tc.closed {
				t.Errorf("closed without GOAWAY, want GOAWAY %v", tc.want)
			}
			// The server goes on.
			ok2 := dialRaw(t, s, []http2.Setting{})
			if err := ok2.get(1, "after.test"); err != nil {
				t.Fatal(err)
			}
			if st, _ := ok2.answers(1, 5*time.Second); st[1] != "200" {
				t.Errorf("afterwards: %v", st)
			}
		})
	}
}

// TestDoH2StreamErrors: a malformed request resets its stream only.
func TestDoH2StreamErrors(t *testing.T) {
	s := startH2(t, echo(0), nil)
	c := dialRaw(t, s, []http2.Setting{})
	bad := [][]string{
		{"connection", "close"},
		{"te", "gzip"},
	}
	id := uint32(1)
	for _, extra := range bad {
		_ = c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: c.headers("GET", getPath(t, "x.test"), extra...), EndStream: true, EndHeaders: true})
		id += 2
	}
	// No :path.
	c.hbuf.Reset()
	_ = c.enc.WriteField(hpack.HeaderField{Name: ":method", Value: "GET"})
	_ = c.enc.WriteField(hpack.HeaderField{Name: ":scheme", Value: "https"})
	_ = c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: bytes.Clone(c.hbuf.Bytes()), EndStream: true, EndHeaders: true})
	id += 2
	_ = c.get(id, "x.test")
	st, _ := c.answers(len(bad)+2, 5*time.Second)
	for i := uint32(1); i < id; i += 2 {
		if st[i] != "RST PROTOCOL_ERROR" {
			t.Errorf("stream %d: %q, want RST PROTOCOL_ERROR", i, st[i])
		}
	}
	if st[id] != "200" {
		t.Errorf("stream %d: %q, want 200", id, st[id])
	}
}

// TestDoH2NeverReads: a client that sends queries and PINGs and never
// reads is cut off after the write timeout, and what the server took from
// it meanwhile is bounded: once its output backs up, it stops reading.
func TestDoH2NeverReads(t *testing.T) {
	s := startH2(t, echo(0), func(t *h2Timeouts) { t.write = 500 * time.Millisecond })
	c := dialRaw(t, s, []http2.Setting{})
	w := bufio.NewWriterSize(c.conn, 64<<10)
	fr := http2.NewFramer(w, nil)
	done := make(chan int64, 1)
	go func() {
		var sent int64
		cw := &countWriter{w: c.conn}
		w.Reset(cw)
		for i := 0; ; i++ {
			if i%500 == 0 {
				id := uint32(i/500*2 + 1)
				_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: c.headers("GET", getPath(t, "x.test")), EndStream: true, EndHeaders: true})
			}
			if fr.WritePing(false, [8]byte{byte(i)}) != nil || (i%1000 == 0 && w.Flush() != nil) || cw.err != nil {
				break
			}
		}
		sent = cw.n
		done <- sent
	}()
	select {
	case sent := <-done:
		if sent > 64<<20 {
			t.Errorf("the server took %d MB before closing", sent>>20)
		}
		t.Logf("the server took %d KB before closing", sent>>10)
	case <-time.After(20 * time.Second):
		t.Fatal("the connection is still open after 20 s")
	}
}

type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	if err != nil {
		c.err = err
	}
	return n, err
}

// TestDoH2Shutdown: Shutdown sends GOAWAY, lets a query in flight be
// answered, then closes.
func TestDoH2Shutdown(t *testing.T) {
	s := newH2(t, echo(300*time.Millisecond), nil)
	srv := s.DoHServer
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	c := dialRaw(t, s, []http2.Setting{})
	if err := c.get(1, "slow.test"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		shut <- srv.Shutdown(ctx)
	}()
	var answered bool
	code, ok := c.untilGoAway(5*time.Second, nil)
	if !ok || code != http2.ErrCodeNo {
		t.Fatalf("GOAWAY %v %v, want NO_ERROR", code, ok)
	}
	_, _ = c.untilGoAway(5*time.Second, func(f http2.Frame) {
		if d, isData := f.(*http2.DataFrame); isData && d.StreamEnded() {
			m := new(dns.Msg)
			answered = m.Unpack(d.Data()) == nil
		}
	})
	if !answered {
		t.Error("the query in flight was not answered")
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
}
