package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.uber.org/zap"

	"github.com/cleandns/cleandns/config"
	"github.com/cleandns/cleandns/runstate"
)

// stateBackend is where the runtime state lives: the local state directory,
// or, with sync.redis, the fleet's Redis with a mirror beside the allow
// file (so each instance on a host has its own, and a restart without
// Redis starts from it). sync.redis is read at start only, like querylog.
func (s *Server) stateBackend(cfg *config.Config) (runstate.Backend, error) {
	if cfg.Sync.Redis == "" {
		return runstate.NewDir(map[string]string{
			runstate.DocAllow:    allowFile(cfg),
			runstate.DocDeny:     stateFile(cfg, runstate.DocDeny),
			runstate.DocRules:    stateFile(cfg, runstate.DocRules),
			runstate.DocSettings: settingsFile(cfg),
		}), nil
	}
	name := cfg.Sync.Instance
	if name == "" {
		host, _ := os.Hostname()
		var b [3]byte
		_, _ = rand.Read(b[:])
		name = host + "-" + hex.EncodeToString(b[:])
	}
	mirror := filepath.Join(filepath.Dir(allowFile(cfg)), "sync-state")
	r, err := runstate.OpenRedis(cfg.Sync.Redis, name, mirror, s.log.Named("sync"), s.registry)
	if err != nil {
		return nil, fmt.Errorf("sync.redis: %w", err)
	}
	s.shared = r
	s.log.Info("runtime state shared", zap.String("store", runstate.Where(cfg.Sync.Redis)), zap.String("instance", name))
	return r, nil
}

// readyDetail is what /readyz adds under "ready": where state went when the
// state directory was not writable, and the shared state store's health.
func (s *Server) readyDetail() string {
	return strings.TrimSpace(s.stateNote + "\n" + s.syncDetail())
}

func orNone(dir string) string {
	if dir == "" {
		return "none writable: lists are not stored and the query log and runtime lists use the working directory"
	}
	return "using " + dir
}

// syncDetail is /readyz's word on the shared state: an outage does not make
// an instance unready (DNS answers from the last state; pulling every
// instance out of service would make Redis a single point of failure),
// but it says so.
func (s *Server) syncDetail() string {
	if s.shared == nil {
		return ""
	}
	up, since, err := s.shared.Status()
	if up {
		return "sync: shared state store connected"
	}
	msg := fmt.Sprintf("sync: shared state store unreachable since %s, serving the last state (%d changes waiting)",
		since.UTC().Format("2006-01-02T15:04:05Z"), s.shared.Pending())
	if err != nil {
		msg += ": " + err.Error()
	}
	return msg
}
