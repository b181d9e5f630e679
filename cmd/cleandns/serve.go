package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.uber.org/zap"

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
	srv, err := server.New(cfg, server.Deps{Logger: log, Version: version})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := srv.Start(ctx); err != nil {
		return err
	}
	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down", zap.Duration("grace", shutdownGrace))
	case runErr = <-srv.Errors():
		log.Error("listener failed", zap.Error(runErr))
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("shutdown", zap.Error(err))
	}
	return runErr
}
