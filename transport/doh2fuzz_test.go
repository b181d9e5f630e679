package transport

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/zap"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// FuzzH2Conn feeds the connection loop arbitrary bytes after the client
// preface and an empty SETTINGS frame: it must end without a panic, and
// not hang once the client has closed.
func FuzzH2Conn(f *testing.F) {
	var seed bytes.Buffer
	fr := http2.NewFramer(&seed, nil)
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for _, hf := range [][2]string{{":method", "GET"}, {":scheme", "https"}, {":path", "/dns-query?dns=AAABAAABAAAAAAAAAXgEdGVzdAAAAQAB"}} {
		_ = enc.WriteField(hpack.HeaderField{Name: hf[0], Value: hf[1]})
	}
	_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndStream: true, EndHeaders: true})
	f.Add(bytes.Clone(seed.Bytes()))
	_ = fr.WritePing(false, [8]byte{1})
	_ = fr.WriteWindowUpdate(0, 100)
	_ = fr.WriteRSTStream(1, http2.ErrCodeCancel)
	f.Add(bytes.Clone(seed.Bytes()))
	seed.Reset()
	_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: hb.Bytes()[:5]})
	_ = fr.WriteContinuation(3, true, hb.Bytes()[5:])
	_ = fr.WriteData(3, true, []byte("x"))
	f.Add(bytes.Clone(seed.Bytes()))

	d := NewDoH(dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		_ = w.WriteMsg(m)
	}), nil)
	defer d.Close()
	t := h2Timeouts{idle: time.Second, read: time.Second, write: time.Second, preface: time.Second}
	f.Fuzz(func(tt *testing.T, data []byte) {
		server, client := net.Pipe()
		c := newH2Conn(d, server, t, zap.NewNop())
		done := make(chan struct{})
		go func() { c.serve(); close(done) }()
		go func() { _, _ = io.Copy(io.Discard, client) }()
		var pre bytes.Buffer
		pre.WriteString(http2.ClientPreface)
		_ = http2.NewFramer(&pre, nil).WriteSettings()
		_, _ = client.Write(append(pre.Bytes(), data...))
		time.Sleep(time.Millisecond) // let the answers be written
		client.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			tt.Fatal("the connection loop did not end")
		}
	})
}
