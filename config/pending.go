package config

import "time"

// Stand-ins for the component configs being built on other branches; each
// is replaced by the component's own type when that branch is merged.

type upstreamConfig struct {
	Servers       []string      `mapstructure:"servers"`
	Strategy      string        `mapstructure:"strategy"`
	Bootstrap     []string      `mapstructure:"bootstrap"`
	Timeout       time.Duration `mapstructure:"timeout"`
	Deadline      time.Duration `mapstructure:"deadline"`
	CAFile        string        `mapstructure:"ca_file"`
	MaxConcurrent int           `mapstructure:"max_concurrent"`
	MaxFails      int           `mapstructure:"max_fails"`
	FailFast      bool          `mapstructure:"fail_fast"`
}

type upstreamZone struct {
	Zone     string   `mapstructure:"zone"`
	Servers  []string `mapstructure:"servers"`
	Strategy string   `mapstructure:"strategy"`
}

type cacheConfig struct {
	Enabled  bool  `mapstructure:"enabled"`
	MaxBytes int64 `mapstructure:"max_bytes"`
}

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
