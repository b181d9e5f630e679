package main

import (
	"fmt"
	"strings"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/cleandns/cleandns/config"
	"github.com/cleandns/cleandns/configs"
)

// loadConfig reads --config (or the embedded default) with the flags'
// overrides on top.
func loadConfig(f *flags) (*config.Config, error) {
	src := config.Source{Name: configs.DefaultName, Data: configs.Default()}
	if f.config != "" {
		var err error
		if src, err = config.File(f.config); err != nil {
			return nil, err
		}
	}
	return config.Load(src, f.overrides())
}

func (f *flags) overrides() config.Overrides {
	return config.Overrides{
		Listen: f.listen, Upstreams: f.upstreams, Blocklists: f.blocklists, HTTP: f.http,
		DoT: f.dot, DoH: f.doh, DoQ: f.doq, TLSCert: f.tlsCert, TLSKey: f.tlsKey,
	}
}

// newLogger builds the process logger from the `log` section.
func newLogger(c config.Log) (*zap.Logger, error) {
	level, err := zapcore.ParseLevel(strings.ToLower(c.Level))
	if err != nil {
		return nil, fmt.Errorf("log.level: %w", err)
	}
	zc := zap.NewProductionConfig()
	zc.Level = zap.NewAtomicLevelAt(level)
	zc.Sampling = nil
	zc.DisableStacktrace = true
	if strings.EqualFold(c.Format, "console") {
		zc.Encoding = "console"
		zc.EncoderConfig = zap.NewDevelopmentEncoderConfig()
	}
	return zc.Build()
}
