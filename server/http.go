package server

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cleandns/cleandns/api"
	"github.com/cleandns/cleandns/transport"
)

// httpHandler serves /metrics, /healthz, /readyz, the admin API and, at
// every other path, the web console. metrics
// wraps the metrics handler (it may put a token in front of it); ready says
// why the server is not ready yet, or nil.
func httpHandler(reg *prometheus.Registry, admin, ui http.Handler, metrics func(http.Handler) http.Handler, ready func() error, detail func() string) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(api.Prefix, admin)
	mux.Handle("/", ui)
	mux.Handle("GET /metrics", metrics(promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := ready(); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(err.Error() + "\n"))
			return
		}
		_, _ = w.Write([]byte("ready\n"))
		if d := detail(); d != "" {
			_, _ = w.Write([]byte(d + "\n"))
		}
	})
	return mux
}

// The HTTP listener's bounds. Idle keep-alive connections used to stay
// open for ever, and enough of them at a low descriptor limit made every
// uncached DNS name fail for want of a socket: idle ones now close, slow
// requests and slow readers time out, and the connections open at once are
// capped well below the descriptor limit.
const (
	httpReadTimeout  = 30 * time.Second // a whole request, body included; bodies are small
	httpWriteTimeout = 60 * time.Second // a whole answer: query-log exports are the biggest
	httpIdleTimeout  = 60 * time.Second // a keep-alive connection with no request
	httpMaxConns     = 128              // or an eighth of the descriptor limit, if lower
)

func listenHTTP(addr string, h http.Handler, m *transport.Metrics) (*http.Server, net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	l = transport.LimitListener(l, transport.CapConnections(httpMaxConns, 8), "http", m)
	return &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: httpReadTimeout,
		WriteTimeout: httpWriteTimeout, IdleTimeout: httpIdleTimeout}, l, nil
}

// ready is /readyz: live (/healthz) is "the process answers"; ready is "send
// it traffic": the DNS listeners are up and every list has loaded once,
// from its source or from the disk store, so no client is sent to a
// resolver that does not block yet.
func (s *Server) ready() error {
	if !s.serving.Load() {
		return errors.New("not serving: starting or shutting down")
	}
	for _, st := range s.gen.Load().lists.Status() {
		if !st.Loaded {
			return fmt.Errorf("list %s not loaded yet", st.Name)
		}
	}
	return nil
}
