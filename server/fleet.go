package server

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/cleandns/cleandns/runstate"
)

// fleetKicks wake the follower when another instance of the fleet changed
// the console's settings or asked for a list refresh. Each holds one kick:
// changes that come while one is applied are applied together.
type fleetKicks struct {
	settings chan struct{}
	refresh  chan runstate.RefreshRequest
}

// fleetRefreshTimeout bounds a refresh another instance asked for, as the
// API bounds its own.
const fleetRefreshTimeout = 2 * time.Minute

// joinFleet hears what the other instances sharing backend change beyond
// the runtime state the pipeline reads at each query (pauses, allow and
// deny lists, rules): the console's settings, which take a reload, and
// list-refresh requests. Without sync.redis no one else writes backend.
func (s *Server) joinFleet(backend runstate.Backend) error {
	s.fleet = fleetKicks{settings: make(chan struct{}, 1), refresh: make(chan runstate.RefreshRequest, 1)}
	s.settings.OnChange(func() { kick(s.fleet.settings, struct{}{}) })
	s.settings.OnDamaged(func(err error) {
		s.log.Error("console settings stored elsewhere do not read: the last good ones keep serving", zap.Error(err))
	})
	if s.shared == nil {
		return nil
	}
	var err error
	if s.refreshes, err = runstate.OpenRefreshes(backend, nil); err != nil {
		return err
	}
	s.refreshes.OnRequest(func(r runstate.RefreshRequest) { kick(s.fleet.refresh, r) })
	return nil
}

func kick[T any](c chan T, v T) {
	select {
	case c <- v:
	default: // one is waiting already
	}
}

// followFleet applies the fleet's kicks until ctx ends.
func (s *Server) followFleet(ctx context.Context) {
	s.follow.Add(1)
	go func() {
		defer s.follow.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case <-s.fleet.settings:
				s.applyFleetSettings()
			case r := <-s.fleet.refresh:
				s.log.Info("list refresh asked by another instance", zap.String("by", r.By))
				rctx, cancel := context.WithTimeout(ctx, fleetRefreshTimeout)
				if err := s.current().lists.Refresh(rctx); err != nil && ctx.Err() == nil {
					s.log.Warn("list refresh asked by another instance", zap.String("by", r.By), zap.Error(err))
				}
				cancel()
			}
		}
	}()
}

// applyFleetSettings serves the settings another instance stored, through
// the reload path as this instance's own changes are (zero lost queries).
// When they cannot be built here (a list file this host lacks), the
// previous config keeps serving, and the reload metric and log say so.
func (s *Server) applyFleetSettings() {
	s.settingsMu.Lock()
	defer s.settingsMu.Unlock()
	if err := s.reload(applySettings(s.fileCfg.Load(), s.settings.Get())); err != nil {
		if s.ctx.Err() == nil {
			s.metrics.ConfigReloadSuccess.Set(0)
			s.log.Error("console settings changed on another instance: not applied here; the previous config keeps serving", zap.Error(err))
		}
		return
	}
	s.metrics.ConfigReloadSuccess.Set(1)
	s.metrics.ConfigReloadTimestamp.SetToCurrentTime()
	s.log.Info("console settings changed on another instance: applied")
}

// requestFleetRefresh asks the other instances to refresh their lists too.
// Failing to ask is logged, never the refresh's failure: with Redis down
// the request waits in the mirror, and goes stale after a minute.
func (s *Server) requestFleetRefresh() {
	if s.refreshes == nil {
		return
	}
	if err := s.refreshes.Request(s.shared.Instance()); err != nil {
		s.log.Warn("list refresh: not passed to the other instances", zap.Error(err))
	}
}
