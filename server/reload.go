package server

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"go.uber.org/zap"

	"github.com/cleandns/cleandns/config"
)

// Reload switches to the config load returns, without dropping a query: it
// builds the next generation (keeping unchanged lists and the cache), swaps
// it in behind the edge, keeps the sockets of addresses that stay, binds new
// ones and closes the ones that went. When the config cannot be loaded or
// built, nothing changes and the old config keeps serving. The reload
// metrics record the outcome either way.
func (s *Server) Reload(load func() (*config.Config, error)) error {
	cfg, err := load()
	if err == nil {
		err = s.reload(cfg)
	}
	if err != nil {
		s.metrics.ConfigReloadSuccess.Set(0)
		s.log.Error("reload rejected; the previous config keeps serving", zap.Error(err))
		return err
	}
	s.metrics.ConfigReloadSuccess.Set(1)
	s.metrics.ConfigReloadTimestamp.SetToCurrentTime()
	s.log.Info("config reloaded", zap.Strings("listen", cfg.Listen), zap.Strings("upstreams", cfg.Upstreams.Servers))
	return nil
}

func (s *Server) reload(cfg *config.Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil {
		return errors.New("reload before start")
	}
	prev := s.gen.Load()
	next, err := s.build(cfg, prev)
	if err != nil {
		return err
	}
	if err := next.start(s.ctx); err != nil {
		next.retire(nil, s.log)
		return fmt.Errorf("blocklists: %w", err)
	}
	// New addresses first: if one cannot be bound, the old config is intact.
	opened := map[string]bool{}
	for _, a := range cfg.Listen {
		if _, ok := s.listeners[a]; !ok {
			opened[a] = true
		}
	}
	if err := s.openListeners(cfg.Listen); err != nil {
		for a := range opened {
			if l, ok := s.listeners[a]; ok {
				_ = l.shutdown(context.Background())
				delete(s.listeners, a)
			}
		}
		next.retire(prev, s.log)
		return err
	}
	s.edge.Swap(next.handler)
	s.gen.Store(next)
	prev.retire(next, s.log)
	s.setAPI(cfg) // the tokens may have changed
	if !reflect.DeepEqual(prev.cfg.QueryLog, cfg.QueryLog) || allowFile(prev.cfg) != allowFile(cfg) {
		s.log.Warn("reload: querylog and http.allow_file changes take effect at the next restart")
	}

	keep := map[string]bool{}
	for _, a := range cfg.Listen {
		keep[a] = true
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Upstreams.Deadline)
	defer cancel()
	err = s.closeListeners(ctx, keep)
	if cfg.HTTP.Listen != prev.cfg.HTTP.Listen {
		// Bind the new address before closing the old one: if it cannot be
		// bound, /metrics and /healthz stay where they were.
		old := s.http
		if cfg.HTTP.Listen == "" {
			s.http, s.httpAddr = nil, "" // switched off
		}
		if oerr := s.openHTTP(cfg.HTTP.Listen); oerr != nil {
			err = errors.Join(err, oerr)
		} else if old != nil {
			err = errors.Join(err, old.Shutdown(ctx))
		}
	}
	if err != nil {
		s.log.Warn("reload: listener changes", zap.Error(err))
	}
	return nil
}
