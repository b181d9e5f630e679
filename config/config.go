// Package config reads cleandns's configuration file into typed structs.
//
// The file is an adapter over the components' own Config types: each
// section below is a component's struct, and this package only embeds them,
// sets their defaults, rejects unknown keys and lets the environment and the
// command line override them. The section names are a contract with users'
// files; later work adds keys, never renames them.
package config

import (
	"github.com/cleandns/cleandns/internal/memlimit"
	"github.com/cleandns/cleandns/runstate"
	"time"

	"github.com/cleandns/cleandns/blocklist"
	"github.com/cleandns/cleandns/cache"
	"github.com/cleandns/cleandns/dnssec"
	"github.com/cleandns/cleandns/groups"
	"github.com/cleandns/cleandns/localrecords"
	"github.com/cleandns/cleandns/policy"
	"github.com/cleandns/cleandns/querylog"
	"github.com/cleandns/cleandns/safesearch"
	"github.com/cleandns/cleandns/transport"
	"github.com/cleandns/cleandns/upstream"
)

// Config is the whole file.
type Config struct {
	// Listen lists the addresses served over both UDP and TCP.
	Listen []string `mapstructure:"listen"`
	// UDP is how many sockets and reading loops serve each listen address.
	UDP transport.UDPConfig `mapstructure:"udp"`
	// TCP is how DNS-over-TCP connections on the listen addresses are kept.
	TCP transport.TCPConfig `mapstructure:"tcp"`
	// TLS is the encrypted listeners (DoT, DoH, DoQ) and their certificate.
	TLS transport.Config `mapstructure:"tls"`
	// HTTP is the metrics, health and admin API listener.
	HTTP HTTP `mapstructure:"http"`
	// Upstreams are the default resolvers queries are forwarded to.
	Upstreams upstream.Config `mapstructure:"upstreams"`
	// ForwardZones send names under a zone to other resolvers (conditional
	// forwarding). A list, not a map: viper splits map keys on dots.
	ForwardZones []upstream.Zone `mapstructure:"forward_zones"`
	// Blocking is the default group's lists and how blocks are answered.
	Blocking Blocking `mapstructure:"blocking"`
	// Cache holds upstream answers.
	Cache cache.Config `mapstructure:"cache"`
	// Access says which client networks are answered at all.
	Access policy.AccessConfig `mapstructure:"access"`
	// RateLimit bounds each client's UDP query rate.
	RateLimit policy.RateLimitConfig `mapstructure:"ratelimit"`
	// Groups give client networks their own lists, schedules and pauses.
	Groups []Group `mapstructure:"groups"`
	// GroupsIdentity says which forwarders may name their clients (EDNS
	// Client Subnet, EDNS0 MAC) to select a group.
	GroupsIdentity groups.Identity `mapstructure:"groups_identity"`
	// LocalRecords are the LAN's own names, answered without going upstream.
	LocalRecords localrecords.Config `mapstructure:"local_records"`
	// QueryLog records queries for search and audit.
	QueryLog querylog.Config `mapstructure:"querylog"`
	// Sync shares runtime state (pauses, allow entries) among instances.
	Sync runstate.SyncConfig `mapstructure:"sync"`
	// DNSSEC validates upstream answers (off by default: see the README).
	DNSSEC dnssec.Config `mapstructure:"dnssec"`
	// Log configures cleandns's own log.
	Log Log `mapstructure:"log"`
	// MemoryLimit is the Go runtime's soft memory limit (GOMEMLIMIT): a
	// size such as 512MiB, "auto" (85% of the container's cgroup limit,
	// when there is one) or "off". GOMEMLIMIT in the environment wins.
	MemoryLimit string `mapstructure:"memory_limit"`
}

// HTTP is the `http` section.
type HTTP struct {
	// Listen is the address of /metrics, /healthz and the API; loopback by
	// default, and "" turns the listener off.
	Listen string `mapstructure:"listen"`
	// AdminToken authorises every API call; ReadToken the read-only ones.
	// Without an admin token the API is open, and only on loopback.
	AdminToken string `mapstructure:"admin_token"`
	ReadToken  string `mapstructure:"read_token"`
	// PasswordHash is the console's admin password as a bcrypt hash (print
	// one with `cleandns password`): a login with it opens what the admin
	// token opens. ViewerPasswordHash opens what the read token opens.
	PasswordHash       string `mapstructure:"password_hash"`
	ViewerPasswordHash string `mapstructure:"viewer_password_hash"`
	// MetricsAuth puts /metrics behind the read (or admin) token too.
	MetricsAuth bool `mapstructure:"metrics_auth"`
	// AllowFile keeps the runtime allow list the API and `cleandns allow`
	// edit; empty means allow.json beside the query log's default path.
	AllowFile string `mapstructure:"allow_file"`
}

// Blocking is the `blocking` section.
type Blocking struct {
	// Enabled switches blocking off for everyone when false.
	Enabled bool `mapstructure:"enabled"`
	// Lists are the default group's blocklists: builtin:NAME, a file or a URL.
	Lists []blocklist.ListSpec `mapstructure:"lists"`
	// Allow lists names that are never blocked, whatever the lists say.
	Allow []string `mapstructure:"allow"`
	// Bypass switches the answers that keep clients from going around the
	// filter (Firefox's DoH canary, iCloud Private Relay).
	Bypass policy.BypassConfig `mapstructure:"bypass"`
	// SafeSearch answers search engines with their safe-search names for
	// the default group, and for groups without a safe_search of their own.
	SafeSearch safesearch.Config `mapstructure:"safe_search"`

	policy.BlockConfig `mapstructure:",squash"`
	blocklist.Config   `mapstructure:",squash"`
}

// Group is one entry of the `groups` list; the groups package owns it. Its
// lists are the same type as blocking.lists.
type Group = groups.Group[blocklist.ListSpec]

// Schedule is a group's `schedule`.
type Schedule = groups.Schedule[blocklist.ListSpec]

// Log is the `log` section.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `mapstructure:"level"`
	// Format is console or json.
	Format string `mapstructure:"format"`
}

// Default returns the built-in defaults: what a key is when neither the file
// nor the environment nor a flag sets it.
func Default() Config {
	up := upstream.Config{Servers: []string{"9.9.9.9", "1.1.1.1"}}
	up.SetDefaults()
	var c cache.Config
	c.SetDefaults()
	return Config{
		Listen:    []string{"127.0.0.1:5353"},
		HTTP:      HTTP{Listen: "127.0.0.1:9153"},
		Upstreams: up,
		Blocking: Blocking{
			Enabled:     true,
			Bypass:      policy.DefaultBypassConfig(),
			BlockConfig: policy.BlockConfig{Response: []string{"nxdomain"}, TTL: 10 * time.Second},
			Config:      blocklist.DefaultConfig(),
		},
		Cache:        c,
		LocalRecords: localrecords.Config{HostsPoll: 5 * time.Second, TTL: 5 * time.Minute},
		Access:       policy.DefaultAccessConfig(),
		RateLimit:    policy.DefaultRateLimitConfig(),
		QueryLog:     querylog.Defaults(),
		Log:          Log{Level: "info", Format: "console"},
		MemoryLimit:  memlimit.Auto,
	}
}
