package config

import "time"

// Stand-ins for the component configs being built on other branches; each
// is replaced by the component's own type when that branch is merged.

type blocklistConfig struct {
	Refresh  time.Duration `mapstructure:"refresh"`
	StoreDir string        `mapstructure:"store_dir"`
}

type listSpec struct {
	Source string `mapstructure:"source"`
	Allow  bool   `mapstructure:"allow"`
	EDE    string `mapstructure:"ede"`
}

func (l *listSpec) UnmarshalText(b []byte) error { l.Source = string(b); return nil }
