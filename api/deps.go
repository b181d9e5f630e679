package api

import (
	"context"
	"net/netip"
	"time"

	"github.com/cleandns/cleandns/querylog"
	"github.com/cleandns/cleandns/runstate"
)

// The API's dependencies, each declared here as the least it needs, so the
// API is tested with fakes and server wires in the real components. A nil
// dependency is a feature that is off: its endpoints answer 501.

// StatusSource reports the components' state for GET /status.
type StatusSource interface {
	Status(ctx context.Context) Status
}

// Pauser pauses and resumes blocking, for everyone (group "") or a group.
type Pauser interface {
	Pause(group string, d time.Duration) (until time.Time, err error)
	Resume(group string) error
	Paused() map[string]time.Time // group ("" = all) → until, only those paused
}

// Refresher reloads every remote and file list now.
type Refresher interface {
	Refresh(ctx context.Context) error
}

// Explainer says why a name is or is not blocked for a client: its
// address (the zero one for none) and the client ID it gives ("" for
// none), as a DoH path or a TLS server name would.
type Explainer interface {
	Explain(ctx context.Context, name string, client netip.Addr, clientID string) (Explanation, error)
}

// ClientGroups says which group a client is in and why, by the selection
// the pipeline makes for its queries.
type ClientGroups interface {
	ClientGroup(client netip.Addr, clientID string) ClientGroup
}

// ClientGroup is a client's group and what put it there.
type ClientGroup struct {
	Group string `json:"group"`
	// By is what chose the group: id, mac, ecs, network or default.
	By     string `json:"group_by"`
	Reason string `json:"group_reason"`
	// Forwarder: the client is a trusted forwarder, whose queries carrying
	// a device's MAC or ECS address go to that device's group.
	Forwarder bool `json:"forwarder,omitempty"`
}

// QueryLog searches the query log; *querylog.Logger is one.
type QueryLog interface {
	Search(ctx context.Context, q querylog.Query) ([]querylog.Record, error)
	Top(ctx context.Context, kind querylog.TopKind, since time.Time, n int) ([]querylog.Count, error)
	Histogram(ctx context.Context, since time.Time, step time.Duration) ([]querylog.Bucket, error)
}

// CacheFlusher empties the answer cache; *cache.Cache is one.
type CacheFlusher interface {
	Flush()
	Len() int
}

// AllowStore keeps the runtime exceptions; runstate.Allowlist is one.
type AllowStore interface {
	List() []AllowEntry
	Add(name, by string) (AllowEntry, error)
	Remove(name string) (bool, error)
}

// NegativeAnchors are the DNSSEC negative trust anchors (RFC 7646):
// domains whose answers are not validated.
type NegativeAnchors interface {
	List() []string
	Add(domain string) error
	Remove(domain string) bool
}

// Status is the answer of GET /status. Version, Uptime and Blocking are
// the API's own; the rest comes from the StatusSource.
type Status struct {
	Version   string           `json:"version"`
	Started   time.Time        `json:"started"`
	Uptime    string           `json:"uptime"`
	Blocking  BlockingStatus   `json:"blocking"`
	Groups    []GroupStatus    `json:"groups"`
	Lists     []ListStatus     `json:"lists"`
	Upstreams []UpstreamStatus `json:"upstreams"`
	// LocalRecords are the records of local_records.records in effect, the
	// console's included, then the first HostsListed of the hosts file's.
	LocalRecords []LocalRecordStatus `json:"local_records,omitempty"`
	// HostsRecords is how many records the hosts file gives in all, when
	// more than are listed.
	HostsRecords int             `json:"hosts_records,omitempty"`
	Cache        *CacheStatus    `json:"cache,omitempty"`
	QueryLog     *QueryLogStatus `json:"querylog,omitempty"`
}

// HostsListed caps the hosts file's records in Status.LocalRecords: a
// status page, not an export of a 100,000-line hosts file.
const HostsListed = 500

// BlockingStatus says whether blocking is on and which pauses run.
type BlockingStatus struct {
	Enabled bool                 `json:"enabled"`
	Paused  map[string]time.Time `json:"paused"` // by group; "" is everyone (kept for compatibility; see EveryoneUntil)
	// EveryoneUntil is when the pause of every group ends, while one runs:
	// the "" key of Paused, said in so many words.
	EveryoneUntil *time.Time `json:"everyone_paused_until,omitempty"`
}

// GroupStatus is one client group: whether it blocks now and why not.
type GroupStatus struct {
	Name     string   `json:"name"`
	Clients  []string `json:"clients,omitempty"` // the CIDRs that select it
	Lists    []string `json:"lists"`
	Blocking bool     `json:"blocking"` // the group's blocking setting
	// Enabled: blocking is on for the group now (blocking set, no pause).
	Enabled     bool       `json:"enabled"`
	PausedUntil *time.Time `json:"paused_until,omitempty"`
	// Origins names the lists switched on in the console ("console"); the
	// others come from the file. Removed are the file's lists the console
	// switched off.
	Origins    map[string]string `json:"origins,omitempty"`
	Removed    []string          `json:"removed,omitempty"`
	Schedule   bool              `json:"schedule,omitempty"`      // the group has a schedule
	ScheduleOn bool              `json:"schedule_open,omitempty"` // and its window is open now
}

// ListStatus is one configured list.
type ListStatus struct {
	Name         string        `json:"name"`
	Kind         string        `json:"kind,omitempty"` // builtin, file, url or inline
	Group        string        `json:"group,omitempty"`
	Loaded       bool          `json:"loaded"`
	FromStore    bool          `json:"from_store,omitempty"` // served from the disk copy, not refreshed yet
	Entries      int           `json:"entries"`
	Skipped      int           `json:"skipped"` // rules recognised but not honoured
	Invalid      int           `json:"invalid"` // lines that could not be read
	InvalidLines []InvalidLine `json:"invalid_lines,omitempty"`
	LastSuccess  time.Time     `json:"last_success,omitzero"`
	LastError    string        `json:"last_error,omitempty"`
	LastErrorAt  time.Time     `json:"last_error_at,omitzero"`
	Warning      string        `json:"warning,omitempty"` // a load that worked but looks wrong, such as a big shrink
	// Downloaded and DownloadSize are a download in progress: bytes so far,
	// and in all (-1: unknown).
	Downloaded   int64 `json:"downloaded,omitempty"`
	DownloadSize int64 `json:"download_size,omitempty"`
}

// InvalidLine is one of the first lines of a list that could not be read.
type InvalidLine struct {
	Line   int    `json:"line"`
	Text   string `json:"text"`
	Reason string `json:"reason"`
}

// UpstreamStatus is one upstream resolver.
type UpstreamStatus struct {
	Name    string `json:"name"`
	Healthy bool   `json:"healthy"`
	// RTTMillis is its smoothed round-trip time; absent before a good exchange.
	RTTMillis float64 `json:"rtt_ms,omitempty"`
	// P50Millis and P95Millis are the median and 95th percentile of the
	// round-trip times of its last RTTSamples good exchanges (at most 128,
	// counted since the config generation that made it; probes count).
	P50Millis  float64 `json:"rtt_p50_ms,omitempty"`
	P95Millis  float64 `json:"rtt_p95_ms,omitempty"`
	RTTSamples int     `json:"rtt_samples,omitempty"`
	// Zone is the forward zone it serves; empty for the default upstreams.
	Zone string `json:"zone,omitempty"`
	// Origin is "console" when the console set the default upstreams.
	Origin string `json:"origin,omitempty"`
}

// LocalRecordStatus is one local record; TTL in seconds, 0 for
// local_records.ttl.
type LocalRecordStatus struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Value  string `json:"value"`
	TTL    uint32 `json:"ttl,omitempty"`
	Origin string `json:"origin,omitempty"` // "console" when made there, "hosts_file" when read from it
}

// CacheStatus is the answer cache's size.
type CacheStatus struct {
	Entries int   `json:"entries"`
	Bytes   int64 `json:"bytes"`
}

// QueryLogStatus says where the query log goes.
type QueryLogStatus struct {
	Format string `json:"format"`
	Path   string `json:"path"`
}

// Explanation is the answer of GET /explain.
type Explanation struct {
	Name  string `json:"name"`
	Group string `json:"group"`
	// ClientID is the ID the explanation was asked for ("" for none);
	// GroupBy and GroupReason say what chose the group (as ClientGroup).
	ClientID    string `json:"client_id,omitempty"`
	GroupBy     string `json:"group_by,omitempty"`
	GroupReason string `json:"group_reason,omitempty"`
	Blocked     bool   `json:"blocked"`
	Paused      bool   `json:"paused,omitempty"`
	Allowed     bool   `json:"allowed,omitempty"` // an exception matched
	List        string `json:"list,omitempty"`
	Rule        string `json:"rule,omitempty"`
	Line        int    `json:"line,omitempty"`
	Origin      string `json:"origin,omitempty"` // "console" when the list or local record that decided was made there
	// UpstreamsOrigin is "console" when the name would be forwarded to
	// upstreams the console set.
	UpstreamsOrigin string `json:"upstreams_origin,omitempty"`
	Text            string `json:"text"` // one human sentence, as `cleandns explain` prints
	// Answer is what the server does with the query, as a result label:
	// blocked, local (cleandns answers: a local record, a rewrite, a
	// special-use name) or forwarded (it would go upstream).
	Answer string `json:"answer"`
	// Matches are every rule of the group's lists that names the name.
	Matches []ExplainRule `json:"matches,omitempty"`
}

// ExplainRule is one list line naming an explained name.
type ExplainRule struct {
	List  string `json:"list"`
	Line  int    `json:"line,omitempty"`
	Rule  string `json:"rule"`
	Allow bool   `json:"allow,omitempty"`
}

// AllowEntry is one runtime exception.
type AllowEntry = runstate.AllowEntry
