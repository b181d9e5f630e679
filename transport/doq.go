package transport

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/miekg/dns"
	"github.com/quic-go/quic-go"
	"go.uber.org/zap"

	"github.com/cleandns/cleandns/query"
	"github.com/cleandns/cleandns/resolver"
)

// DoQ error codes (RFC 9250 §4.3).
const (
	doqNoError       = 0x0
	doqProtocolError = 0x2
)

// DoQServer serves DNS over QUIC (RFC 9250): one query per bidirectional
// stream, many streams per connection answered concurrently.
type DoQServer struct {
	ln       *quic.Listener
	tr       *quic.Transport
	handler  dns.Handler
	clientID func(*tls.ConnectionState) string
	metrics  *Metrics
	log      *zap.Logger
	maxConns int

	mu    sync.Mutex
	conns map[*quic.Conn]struct{}
	wg    sync.WaitGroup
	done  chan struct{}
}

// NewDoQServer listens on pc. tlsConf must carry ALPN "doq".
func NewDoQServer(pc net.PacketConn, h dns.Handler, tlsConf *tls.Config, idle time.Duration, maxConns int, clientID func(*tls.ConnectionState) string, m *Metrics, log *zap.Logger) (*DoQServer, error) {
	tr := &quic.Transport{Conn: pc}
	ln, err := tr.Listen(tlsConf, &quic.Config{
		MaxIdleTimeout:        idle,
		MaxIncomingStreams:    100,
		MaxIncomingUniStreams: -1, // DoQ uses bidirectional streams only
		Allow0RTT:             false,
	})
	if err != nil {
		return nil, fmt.Errorf("doq listen %s: %w", pc.LocalAddr(), err)
	}
	if maxConns <= 0 {
		maxConns = 1000
	}
	s := &DoQServer{ln: ln, tr: tr, handler: h, clientID: clientID, metrics: m, log: log, maxConns: maxConns,
		conns: map[*quic.Conn]struct{}{}, done: make(chan struct{})}
	return s, nil
}

// Addr is the UDP address.
func (s *DoQServer) Addr() net.Addr { return s.ln.Addr() }

// Serve accepts connections until Shutdown; it returns nil then.
func (s *DoQServer) Serve() error {
	open := s.metrics.Open.WithLabelValues(query.ProtoDoQ)
	for {
		conn, err := s.ln.Accept(context.Background())
		if err != nil {
			select {
			case <-s.done:
				return nil
			default:
			}
			if errors.Is(err, quic.ErrServerClosed) {
				return nil
			}
			return fmt.Errorf("doq accept: %w", err)
		}
		s.mu.Lock()
		if len(s.conns) >= s.maxConns {
			s.mu.Unlock()
			s.metrics.Rejected.WithLabelValues("doq", "limit").Inc()
			_ = conn.CloseWithError(doqNoError, "too many connections")
			continue
		}
		s.conns[conn] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		open.Inc()
		go func() {
			defer func() {
				s.mu.Lock()
				delete(s.conns, conn)
				s.mu.Unlock()
				open.Dec()
				s.wg.Done()
			}()
			s.serveConn(conn)
		}()
	}
}

func (s *DoQServer) serveConn(conn *quic.Conn) {
	var id string
	if s.clientID != nil {
		st := conn.ConnectionState().TLS
		id = s.clientID(&st)
	}
	var streams sync.WaitGroup
	defer streams.Wait()
	for {
		st, err := conn.AcceptStream(context.Background())
		if err != nil {
			return // the client closed, went idle, or Shutdown closed it
		}
		streams.Add(1)
		go func() {
			defer streams.Done()
			s.serveStream(conn, st, id)
		}()
	}
}

// serveStream answers the one query of a stream. A malformed one closes
// the connection with DOQ_PROTOCOL_ERROR, as RFC 9250 §4.3.3 asks.
func (s *DoQServer) serveStream(conn *quic.Conn, st *quic.Stream, id string) {
	_ = st.SetReadDeadline(time.Now().Add(5 * time.Second))
	var l [2]byte
	if _, err := io.ReadFull(st, l[:]); err != nil {
		st.CancelRead(doqProtocolError)
		st.CancelWrite(doqProtocolError)
		return
	}
	b := make([]byte, binary.BigEndian.Uint16(l[:]))
	m := new(dns.Msg)
	if _, err := io.ReadFull(st, b); err != nil || resolver.UnpackQuery(m, b) != "" || m.Id != 0 || m.Response {
		_ = conn.CloseWithError(doqProtocolError, "malformed query")
		return
	}
	w := &doqWriter{conn: conn, st: st, id: id}
	s.handler.ServeDNS(w, m)
	// No answer (dropped by policy): the stream ends without one.
	if !w.wrote {
		st.CancelWrite(doqNoError)
	}
	st.CancelRead(doqNoError)
}

// Shutdown closes every connection, waiting (within ctx) for the
// queries being answered.
func (s *DoQServer) Shutdown(ctx context.Context) error {
	close(s.done)
	err := s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		_ = c.CloseWithError(doqNoError, "shutting down")
	}
	s.mu.Unlock()
	err = errors.Join(err, wait(ctx, &s.wg, nil))
	return errors.Join(err, s.tr.Close())
}

// doqWriter writes the answer of one stream, with the ID the query had (0).
type doqWriter struct {
	noTSIG
	conn  *quic.Conn
	st    *quic.Stream
	id    string
	wrote bool
}

var _ Identified = (*doqWriter)(nil)

func (w *doqWriter) LocalAddr() net.Addr  { return w.conn.LocalAddr() }
func (w *doqWriter) RemoteAddr() net.Addr { return w.conn.RemoteAddr() }
func (w *doqWriter) ClientID() string     { return w.id }
func (w *doqWriter) WriteMsg(m *dns.Msg) error {
	b, err := m.Pack()
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
func (w *doqWriter) Write(b []byte) (int, error) {
	if w.wrote {
		return 0, errors.New("doq: one answer per stream")
	}
	w.wrote = true
	out := make([]byte, 2+len(b))
	binary.BigEndian.PutUint16(out, uint16(len(b)))
	copy(out[2:], b)
	_ = w.st.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := w.st.Write(out); err != nil {
		return 0, err
	}
	return len(b), w.st.Close() // FIN: the answer is complete
}
