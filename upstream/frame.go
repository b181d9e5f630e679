package upstream

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"

	"github.com/miekg/dns"
)

// writeMsg writes m with its two-byte length prefix (RFC 1035 4.2.2) in a
// single Write, so concurrent writers serialised by a mutex never interleave.
func writeMsg(w io.Writer, m *dns.Msg) error {
	out, err := m.Pack()
	if err != nil {
		return fmt.Errorf("pack query: %w", err)
	}
	buf := make([]byte, 2+len(out))
	binary.BigEndian.PutUint16(buf, uint16(len(out)))
	copy(buf[2:], out)
	_, err = w.Write(buf)
	return err
}

// frameReader reads length-prefixed messages from a stream.
type frameReader struct{ r *bufio.Reader }

func newFrameReader(c net.Conn) *frameReader { return &frameReader{r: bufio.NewReader(c)} }

// read returns the next message. An unparsable message is reported as
// errBadReply wrapped in a *frameError whose stream is still in sync, so a
// caller may keep reading; I/O errors are returned as they are.
func (f *frameReader) read() (*dns.Msg, error) {
	var l [2]byte
	if _, err := io.ReadFull(f.r, l[:]); err != nil {
		return nil, err
	}
	buf := make([]byte, binary.BigEndian.Uint16(l[:]))
	if _, err := io.ReadFull(f.r, buf); err != nil {
		return nil, err
	}
	m := new(dns.Msg)
	if err := m.Unpack(buf); err != nil {
		return nil, &frameError{fmt.Errorf("%w: %w", errBadReply, err)}
	}
	return m, nil
}

// frameError is a message that could not be parsed on a stream that is
// still usable.
type frameError struct{ err error }

func (e *frameError) Error() string { return e.err.Error() }
func (e *frameError) Unwrap() error { return e.err }
