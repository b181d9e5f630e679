package server

import (
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cleandns/cleandns/api"
)

// httpHandler serves /metrics, /healthz and the admin API. metrics wraps
// the metrics handler (it may put a token in front of it).
func httpHandler(reg *prometheus.Registry, admin http.Handler, metrics func(http.Handler) http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(api.Prefix, admin)
	mux.Handle("GET /metrics", metrics(promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	return mux
}

func listenHTTP(addr string, h http.Handler) (*http.Server, net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	return &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}, l, nil
}
