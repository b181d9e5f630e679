package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/cleandns/cleandns/config"
	"github.com/cleandns/cleandns/internal/memlimit"
	"github.com/cleandns/cleandns/internal/statedir"
	"github.com/cleandns/cleandns/server"
)

// shutdownGrace bounds how long in-flight queries get at exit.
const shutdownGrace = 5 * time.Second

func serve(ctx context.Context, f *flags) error {
	cfg, err := loadConfig(f)
	if err != nil {
		return err
	}
	log, err := newLogger(cfg.Log)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	logStateDir(log)
	setMemoryLimit(cfg.MemoryLimit, log)
	srv, err := server.New(cfg, server.Deps{Logger: log, Version: version})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := srv.Start(ctx); err != nil {
		return err
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	changed := make(<-chan struct{})
	if f.config != "" {
		if changed, err = watchFile(ctx, f.config, log); err != nil {
			log.Warn("not watching the config file; reload with SIGHUP", zap.Error(err))
		}
	}
	reload := func() (*config.Config, error) { return loadConfig(f) } // flags re-applied on top
	for {
		select {
		case <-hup:
			_ = srv.Reload(reload)
			continue
		case <-changed:
			_ = srv.Reload(reload)
			continue
		case <-ctx.Done():
			log.Info("shutting down", zap.Duration("grace", shutdownGrace))
		case err = <-srv.Errors():
			log.Error("listener failed", zap.Error(err))
		}
		break
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if serr := srv.Shutdown(sctx); serr != nil {
		log.Warn("shutdown", zap.Error(serr))
	}
	return err
}

// logStateDir says where state goes when the first choice was not writable
// (no home, a read-only STATE_DIRECTORY), so a fallback is never silent.
func logStateDir(log *zap.Logger) {
	dir, skipped := statedir.Resolve()
	switch {
	case dir == "":
		log.Warn("no writable state directory: lists are not stored, and a relative querylog.path is used",
			zap.Strings("passed_over", skipped))
	case len(skipped) > 0:
		log.Warn("state directory falls back", zap.String("using", dir), zap.Strings("passed_over", skipped))
	}
}

// setMemoryLimit applies memory_limit (or the cgroup's) as the runtime's
// soft limit, and says which applies. The config is validated: Resolve's
// error cannot happen here, but it is logged rather than ignored.
func setMemoryLimit(setting string, log *zap.Logger) {
	limit, source, err := memlimit.Resolve(setting, os.Getenv, "/sys/fs/cgroup")
	switch {
	case err != nil:
		log.Warn("memory limit not set", zap.Error(err))
	case limit > 0:
		debug.SetMemoryLimit(limit)
		log.Info("memory limit", zap.Int64("bytes", limit), zap.String("from", source))
	default:
		log.Info("no memory limit", zap.String("why", source))
	}
}
