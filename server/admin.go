package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"path/filepath"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/cleandns/cleandns/api"
	"github.com/cleandns/cleandns/config"
	"github.com/cleandns/cleandns/console"
	"github.com/cleandns/cleandns/query"
	"github.com/cleandns/cleandns/querylog"
)

// allowFile is where the runtime allow list lives: http.allow_file, or
// allow.json in the state directory the query log also defaults to.
func allowFile(cfg *config.Config) string {
	if cfg.HTTP.AllowFile != "" {
		return cfg.HTTP.AllowFile
	}
	if d := querylog.StateDir(); d != "" {
		return filepath.Join(d, "allow.json")
	}
	return "cleandns-allow.json"
}

// stateFile is where a runtime state document other than the allow list
// lives: beside the allow file.
func stateFile(cfg *config.Config, doc string) string {
	allow := allowFile(cfg)
	if dir := filepath.Dir(allow); dir != "." || cfg.HTTP.AllowFile != "" || querylog.StateDir() != "" {
		return filepath.Join(dir, doc+".json")
	}
	return "cleandns-" + doc + ".json"
}

// openQueryLog starts the query log, when on, and points the edge at it.
// It is opened at Start, not New, so one-shot commands touch no file.
func (s *Server) openQueryLog(cfg querylog.Config) error {
	if !cfg.Enabled {
		return nil
	}
	ql, err := querylog.New(cfg, querylog.Deps{Logger: s.log.Named("querylog"), Dropped: s.metrics.QueryLogDropped})
	if err != nil {
		return err
	}
	s.qlog = ql
	s.edge.SetRecorder(ql)
	return nil
}

// closeQueryLog detaches the query log and writes what it holds.
func (s *Server) closeQueryLog() error {
	if s.qlog == nil {
		return nil
	}
	s.edge.SetRecorder(nil)
	err := s.qlog.Close()
	s.qlog = nil
	return err
}

// newAPI builds the admin API for cfg's tokens over this server. On a
// listener other hosts can reach, without an admin token, it refuses:
// the caller serves an error in its place and says so in the log.
func (s *Server) newAPI(cfg *config.Config) (*api.API, error) {
	tokens := api.Tokens{Admin: cfg.HTTP.AdminToken, Read: cfg.HTTP.ReadToken,
		PasswordHash: cfg.HTTP.PasswordHash, ViewerHash: cfg.HTTP.ViewerPasswordHash}
	if err := api.CheckListener(cfg.HTTP.Listen, tokens); err != nil {
		return nil, err
	}
	d := api.Deps{
		Logger: s.log.Named("api"), Version: s.version, Started: s.started,
		Blocking: cfg.Blocking.Enabled,
		Status:   adminStatus{s}, Pauser: adminPause{s}, Refresher: adminRefresh{s},
		Explainer: adminExplain{s}, Groups: adminGroups{s}, Allow: s.state.Allowlist(), Deny: s.state.Denylist(), Rules: s.state.Rules(), Sessions: s.sessions,
		Settings: s,
	}
	if cfg.Cache.Enabled {
		d.Cache = adminCache{s}
	}
	if s.qlog != nil {
		d.QueryLog = s.qlog
	}
	if cfg.DNSSEC.Enabled {
		d.NegativeAnchors = adminNegative{s}
	}
	if len(cfg.TLS.DoH)+len(cfg.TLS.DoT) > 0 {
		d.Profiles = s.appleProfile
	}
	return api.New(tokens, d), nil
}

// current returns the serving generation.
func (s *Server) current() *generation {
	return s.gen.Load()
}

type adminStatus struct{ s *Server }

// millis is d in milliseconds, to the microsecond.
func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (a adminStatus) Status(context.Context) api.Status {
	g := a.s.current()
	var st api.Status
	for _, l := range g.lists.Status() {
		st.Lists = append(st.Lists, listStatus(l))
	}
	set := a.s.settings.Get()
	st.Groups = groupStatus(g.cfg, g.groups.Status(), set)
	for _, u := range g.upstream.Upstreams() {
		name := u.Name
		if u.Zone != "" {
			name = u.Zone + " " + u.Name
		}
		us := api.UpstreamStatus{Name: name, Healthy: u.Healthy, RTTMillis: millis(u.RTT), Zone: u.Zone,
			P50Millis: millis(u.Recent.P50), P95Millis: millis(u.Recent.P95), RTTSamples: u.Recent.Samples}
		if u.Zone == "" && len(set.Upstreams) > 0 {
			us.Origin = "console"
		}
		st.Upstreams = append(st.Upstreams, us)
	}
	st.LocalRecords, st.HostsRecords = recordStatus(g.cfg, set, g.local)
	if g.cache != nil {
		st.Cache = &api.CacheStatus{Entries: g.cache.Len(), Bytes: g.cache.Bytes()}
	}
	if ql := a.s.qlog; ql != nil {
		st.QueryLog = &api.QueryLogStatus{Format: g.cfg.QueryLog.Format, Path: ql.Path()}
	}
	return st
}

// adminPause maps the API's "" (everyone) to query.EveryGroup.
type adminPause struct{ s *Server }

func group(g string) string {
	if g == "" {
		return query.EveryGroup
	}
	return g
}

func (a adminPause) Pause(g string, d time.Duration) (time.Time, error) {
	return a.s.pause(group(g), d)
}

func (a adminPause) Resume(g string) error { return a.s.Resume(group(g)) }

func (a adminPause) Paused() map[string]time.Time {
	st := a.s.current().groups.Status()
	out := map[string]time.Time{}
	if st.PausedUntil != nil {
		out[""] = *st.PausedUntil
	}
	for _, gs := range st.Groups {
		if gs.PausedUntil != nil {
			out[gs.Group] = *gs.PausedUntil
		}
	}
	return out
}

type adminRefresh struct{ s *Server }

// Refresh refreshes this instance's lists and asks the rest of the fleet
// to refresh theirs.
func (a adminRefresh) Refresh(ctx context.Context) error {
	a.s.requestFleetRefresh()
	return a.s.current().lists.Refresh(ctx)
}

type adminExplain struct{ s *Server }

func (a adminExplain) Explain(_ context.Context, name string, client netip.Addr, clientID string) (api.Explanation, error) {
	return a.s.ExplainFor(name, client, clientID), nil
}

// adminGroups says which group a client is in and why, by the serving
// generation's selection: the one its group link makes.
type adminGroups struct{ s *Server }

func (a adminGroups) ClientGroup(client netip.Addr, clientID string) api.ClientGroup {
	sel := a.s.current().groups.Choose(client, clientID, nil)
	return api.ClientGroup{Group: sel.Group, By: sel.By.String(), Reason: sel.Reason(), Forwarder: sel.Forwarder}
}

type adminCache struct{ s *Server }

func (a adminCache) Flush() {
	if c := a.s.current().cache; c != nil {
		c.Flush()
	}
}

func (a adminCache) Len() int {
	if c := a.s.current().cache; c != nil {
		return c.Len()
	}
	return 0
}

// adminNegative changes the negative trust anchors and empties the answer
// cache and the validator's key cache, whose entries were judged under the
// old set.
type adminNegative struct{ s *Server }

func (a adminNegative) List() []string { return a.s.negative.List() }

func (a adminNegative) Add(domain string) error {
	if err := a.s.negative.Add(domain); err != nil {
		return err
	}
	a.flush()
	return nil
}

func (a adminNegative) Remove(domain string) bool {
	ok := a.s.negative.Remove(domain)
	a.flush()
	return ok
}

func (a adminNegative) flush() {
	if v := a.s.current().validator; v != nil {
		v.Flush()
	}
	adminCache(a).Flush()
}

// logAPI says at start whether the admin API serves, without the tokens.
func (s *Server) logAPI(cfg *config.Config, addr string, err error) {
	if err != nil {
		s.log.Warn("admin API off", zap.Error(err))
		return
	}
	if addr == "" {
		s.log.Info("admin API off: http.listen is empty")
		return
	}
	s.log.Info("admin API on", zap.String("at", "http://"+addr+api.Prefix),
		zap.Bool("admin_token", cfg.HTTP.AdminToken != ""), zap.Bool("read_token", cfg.HTTP.ReadToken != ""))
}

// apiBox is the admin API for one config, or the error served in its
// place. metrics is /metrics as http.metrics_auth says: behind the read
// token, or open.
type apiBox struct {
	h       http.Handler
	metrics func(http.Handler) http.Handler
	console http.Handler // the web console, or why it is off with the API
}

// guard holds the box one HTTP listener serves. Each listener has its own,
// set when it is bound: a reload that moves the listener gives the new one
// the new tokens and leaves the old one its own until it is closed, so a
// listener never serves another config's guard.
type guard struct{ box atomic.Pointer[apiBox] }

// serveAPI is what the HTTP listener mounts at /api/v1/.
func (g *guard) serveAPI(w http.ResponseWriter, r *http.Request) {
	if b := g.box.Load(); b != nil {
		b.h.ServeHTTP(w, r)
		return
	}
	http.NotFound(w, r)
}

// guardMetrics serves /metrics through the box's guard.
func (g *guard) guardMetrics(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if b := g.box.Load(); b != nil && b.metrics != nil {
			b.metrics(h).ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// newBox builds the API for cfg, served at addr, or the refusal served in
// its place.
func (s *Server) newBox(cfg *config.Config, addr string) *apiBox {
	a, err := s.newAPI(cfg)
	box := &apiBox{h: a, console: s.console}
	switch {
	case err != nil:
		box.h, box.console = apiRefused(err), console.Off(err)
	case cfg.HTTP.MetricsAuth:
		box.metrics = a.Guard
	}
	s.logAPI(cfg, addr, err)
	return box
}

// setAPI builds the API for cfg and serves it from now on on the current
// HTTP listener, whose address cfg must be.
func (s *Server) setAPI(cfg *config.Config) {
	if s.api != nil {
		s.api.box.Store(s.newBox(cfg, s.httpAddr))
	}
}

// serveConsole is what the HTTP listener mounts at /: the console is on
// exactly when the API is.
func (g *guard) serveConsole(w http.ResponseWriter, r *http.Request) {
	if b := g.box.Load(); b != nil && b.console != nil {
		b.console.ServeHTTP(w, r)
		return
	}
	http.NotFound(w, r)
}

func apiRefused(err error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_ = json.NewEncoder(w).Encode(api.ErrorBody{Error: "admin API off: " + err.Error()})
	})
}
