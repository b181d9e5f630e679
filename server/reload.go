package server

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"go.uber.org/zap"

	"github.com/cleandns/cleandns/config"
	"github.com/cleandns/cleandns/internal/redact"
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
		// The console's settings apply over every file loaded.
		s.settingsMu.Lock()
		if err = s.reload(applySettings(cfg, s.settings.Get())); err == nil {
			s.fileCfg.Store(cfg)
		}
		s.settingsMu.Unlock()
	}
	if err != nil {
		s.metrics.ConfigReloadSuccess.Set(0)
		err = redact.Error(err)
		s.log.Error("reload rejected; the previous config keeps serving", zap.Error(err))
		return err
	}
	s.metrics.ConfigReloadSuccess.Set(1)
	s.metrics.ConfigReloadTimestamp.SetToCurrentTime()
	s.log.Info("config reloaded", zap.Strings("listen", cfg.Listen), zap.Strings("upstreams", redact.Strings(cfg.Upstreams.Servers)))
	return nil
}

func (s *Server) reload(cfg *config.Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil {
		return errors.New("reload before start")
	}
	if s.ctx.Err() != nil {
		return errors.New("reload after shutdown")
	}
	prev := s.gen.Load()
	next, err := s.build(cfg, prev)
	if err != nil {
		return err
	}
	if err := next.start(s.ctx); err != nil {
		_ = next.held.release(&prev.held) // it never served: what it built goes now
		return fmt.Errorf("blocklists: %w", err)
	}
	// New addresses first, DNS and HTTP: if one cannot be bound, the old
	// config is intact, its HTTP listener and that listener's guard (the
	// tokens) included. The guard is set only with the listener it guards.
	uctx, ucancel := context.WithTimeout(context.Background(), prev.cfg.Upstreams.Deadline)
	unbound, err := s.unbindFamilies(uctx, cfg.Listen)
	ucancel()
	if err != nil {
		s.log.Warn("reload: rebinding listeners", zap.Error(err))
	}
	opened := map[string]bool{}
	for _, a := range cfg.Listen {
		if _, ok := s.listeners[a]; !ok {
			opened[a] = true
		}
	}
	undo := func() {
		for a := range opened {
			if l, ok := s.listeners[a]; ok {
				_ = l.Shutdown(context.Background())
				delete(s.listeners, a)
			}
		}
		if len(unbound) > 0 { // the old config's own sockets, as they were
			if err := s.openListeners(prev.cfg.Listen); err != nil {
				s.log.Error("reload: rebinding the previous listeners", zap.Strings("listen", unbound), zap.Error(err))
			}
		}
		_ = next.held.release(&prev.held)
	}
	if err := s.openListeners(cfg.Listen); err != nil {
		undo()
		return err
	}
	moveHTTP := cfg.HTTP.Listen != prev.cfg.HTTP.Listen
	var newHTTP *boundHTTP
	if moveHTTP {
		if newHTTP, err = s.bindHTTP(cfg); err != nil {
			undo()
			return err
		}
	}
	if s.beforeSwap != nil {
		s.beforeSwap()
	}
	s.edge.Swap(next.handler)
	s.gen.Store(next)
	s.retire(prev, next)
	if !moveHTTP {
		s.setAPI(cfg) // the tokens may have changed; a moved listener has its own
	}
	if !reflect.DeepEqual(prev.cfg.QueryLog, cfg.QueryLog) || allowFile(prev.cfg) != allowFile(cfg) {
		s.log.Warn("reload: querylog and http.allow_file changes take effect at the next restart")
	}
	if encryptedChanged(prev.cfg, cfg) {
		s.log.Warn("reload: tls changes take effect at the next restart (new certificate files are picked up on their own)")
	}

	keep := map[string]bool{}
	for _, a := range cfg.Listen {
		keep[a] = true
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Upstreams.Deadline)
	defer cancel()
	err = s.closeListeners(ctx, keep)
	if moveHTTP {
		old := s.http
		s.http, s.httpAddr, s.api = nil, "", nil
		if newHTTP != nil {
			s.serveHTTP(newHTTP)
		}
		if old != nil {
			err = errors.Join(err, old.Shutdown(ctx))
		}
	}
	if err != nil {
		s.log.Warn("reload: listener changes", zap.Error(err))
	}
	return nil
}
