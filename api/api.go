// Package api is cleandns's admin API: JSON under /api/v1 on the HTTP
// listener. It depends only on the small interfaces in deps.go, so it is
// tested with fakes; server wires the real components in.
//
// Two bearer tokens guard it: the read token opens status, explain, the
// query log and top; the admin token opens everything. Every admin action
// is logged with who (token kind, remote address) and what.
package api

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"go.uber.org/zap"
)

// Prefix is where the API is mounted.
const Prefix = "/api/v1/"

// Tokens are the API's secrets: two bearer tokens (http.admin_token,
// http.read_token) and the console's two password hashes
// (http.password_hash, http.viewer_password_hash). With none of the admin
// ones the API is open, which CheckListener allows only on loopback; with
// no read secret, reads need an admin one.
type Tokens struct {
	Admin        string
	Read         string
	PasswordHash string // bcrypt; opens what the admin token opens, through a console login
	ViewerHash   string // bcrypt; opens what the read token opens
}

// Deps are the API's collaborators; nil ones answer 501.
type Deps struct {
	Logger  *zap.Logger
	Version string
	Started time.Time
	Now     func() time.Time

	Blocking  bool // blocking.enabled
	Status    StatusSource
	Pauser    Pauser
	Refresher Refresher
	Explainer Explainer
	Groups    ClientGroups // the group of a top client or a logged query, and why
	QueryLog  QueryLog
	Cache     CacheFlusher
	Allow     AllowStore
	Deny      CustomStore // the runtime deny list
	Rules     RuleSet     // custom rules in list syntax
	// NegativeAnchors is nil when DNSSEC validation is off.
	NegativeAnchors NegativeAnchors
	// Profiles renders .mobileconfig files; nil without DoH or DoT.
	Profiles Profiles
	// Settings keeps what the console changes over the config file.
	Settings SettingsEditor
	// Sessions are the console's logins; pass the same store to every
	// API a reload builds, so a reload logs nobody out. Nil: a new one.
	Sessions *Sessions
}

// API serves /api/v1.
type API struct {
	tokens Tokens
	d      Deps
	log    *zap.Logger
	mux    *http.ServeMux
	// sessions are the console's logins, by cookie.
	sessions *Sessions
	// csrf refuses state-changing requests that a browser marks (with
	// Sec-Fetch-Site or Origin) as coming from another site.
	csrf *http.CrossOriginProtection
	// endpoints is the index GET /api/v1/ serves, filled by route.
	endpoints []Endpoint
}

// ErrNoAdminToken is returned by CheckListener.
var ErrNoAdminToken = errors.New("http.admin_token or http.password_hash is required when http.listen is not a loopback address")

// CheckListener refuses an API without an admin token on a listener other
// hosts can reach.
func CheckListener(listen string, t Tokens) error {
	if !t.open() || listen == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return err
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return ErrNoAdminToken
}

// New returns the API. Mount it with mux.Handle(api.Prefix, a).
func New(t Tokens, d Deps) *API {
	if d.Logger == nil {
		d.Logger = zap.NewNop()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Started.IsZero() {
		d.Started = d.Now()
	}
	if d.Sessions == nil {
		d.Sessions = NewSessions(d.Now)
	}
	a := &API{tokens: t, d: d, log: d.Logger, mux: http.NewServeMux(), csrf: http.NewCrossOriginProtection(), sessions: d.Sessions}
	a.routes()
	return a
}

func (a *API) routes() {
	read, admin := a.read, a.admin
	a.mux.HandleFunc("GET /api/v1/session", a.sessionInfo)
	a.mux.HandleFunc("POST /api/v1/session", a.login)
	a.mux.HandleFunc("DELETE /api/v1/session", a.logout)
	a.endpoints = append(a.endpoints, Endpoint{Method: "GET", Path: "/api/v1/session", Access: "none"},
		Endpoint{Method: "POST", Path: "/api/v1/session", Access: "none"}, Endpoint{Method: "DELETE", Path: "/api/v1/session", Access: "none"})
	a.route("GET /api/v1/status", "read", read(a.status))
	a.route("GET /api/v1/explain", "read", read(a.explain))
	a.route("GET /api/v1/querylog", "read", read(a.querylog))
	a.route("GET /api/v1/top", "read", read(a.top))
	a.route("GET /api/v1/stats", "read", read(a.stats))
	a.route("GET /api/v1/categories", "read", read(a.categories))
	a.route("GET /api/v1/apple.mobileconfig", "read", read(a.appleProfile))
	a.route("GET /api/v1/settings", "read", read(a.settings))
	a.route("GET /api/v1/settings/export", "read", read(a.exportSettings))
	a.route("POST /api/v1/settings/lists", "admin", admin("set list", a.setList))
	a.route("POST /api/v1/settings/upstreams", "admin", admin("add upstream", a.addUpstream))
	a.route("DELETE /api/v1/settings/upstreams", "admin", admin("remove upstream", a.removeUpstream))
	a.route("POST /api/v1/settings/local-records", "admin", admin("add local record", a.addRecord))
	a.route("DELETE /api/v1/settings/local-records", "admin", admin("remove local record", a.removeRecord))
	a.route("POST /api/v1/blocking/pause", "admin", admin("pause", a.pause))
	a.route("POST /api/v1/blocking/resume", "admin", admin("resume", a.resume))
	a.route("POST /api/v1/lists/refresh", "admin", admin("refresh lists", a.refresh))
	a.route("POST /api/v1/cache/flush", "admin", admin("flush cache", a.flushCache))
	a.route("GET /api/v1/allow", "admin", admin("list allow", a.allowList))
	a.route("POST /api/v1/allow", "admin", admin("allow", a.allowAdd))
	a.route("DELETE /api/v1/allow", "admin", admin("unallow", a.allowRemove))
	a.customRoutes()
	a.route("GET /api/v1/dnssec/negative-trust-anchors", "read", read(a.ntaList))
	a.route("POST /api/v1/dnssec/negative-trust-anchors", "admin", admin("add negative trust anchor", a.ntaAdd))
	a.route("DELETE /api/v1/dnssec/negative-trust-anchors", "admin", admin("remove negative trust anchor", a.ntaRemove))
	// The start-up log points here: an index, not a 404.
	a.mux.HandleFunc("GET "+Prefix+"{$}", a.index)
	a.mux.HandleFunc(Prefix, func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path+" (GET "+Prefix+" lists them)")
	})
}

// Endpoint is one entry of the API's index (GET /api/v1/).
type Endpoint struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Access string `json:"access"` // "read" or "admin": the token it needs when tokens are set
}

// route mounts h at pattern ("METHOD /path") and lists it in the index.
func (a *API) route(pattern, access string, h http.Handler) {
	method, path, _ := strings.Cut(pattern, " ")
	a.endpoints = append(a.endpoints, Endpoint{Method: method, Path: path, Access: access})
	a.mux.Handle(pattern, h)
}

func (a *API) index(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"endpoints": a.endpoints, "docs": "docs/api.md"})
}

// ServeHTTP serves the API to programs and the CLI, never to web pages: a
// page in the admin's browser could otherwise pause blocking or add allow
// entries on a loopback API (cross-site requests), or read the query log
// through a host name rebound to 127.0.0.1.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if a.open() && !loopbackHost(r.Host) {
		// DNS rebinding: the open API answers only to a loopback Host.
		writeError(w, http.StatusForbidden, "the API without a token answers only requests addressed to a loopback host, not "+r.Host)
		return
	}
	if err := a.csrf.Check(r); err != nil {
		writeError(w, http.StatusForbidden, "cross-origin browser requests are refused")
		return
	}
	a.mux.ServeHTTP(w, r)
}

// open reports that no admin secret is set: the API needs no login.
func (t Tokens) open() bool { return t.Admin == "" && t.PasswordHash == "" }

func (a *API) open() bool { return a.tokens.open() }

// loopbackHost reports whether a Host header names this machine by a
// loopback address or "localhost".
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
