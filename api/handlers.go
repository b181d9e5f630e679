package api

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/query"
	"github.com/cleandns/cleandns/querylog"
)

// MaxPause bounds a pause, so a typo cannot switch blocking off for good.
const MaxPause = 7 * 24 * time.Hour

// refreshTimeout bounds POST /lists/refresh.
const refreshTimeout = 2 * time.Minute

func (a *API) status(w http.ResponseWriter, r *http.Request, _ who) error {
	var st Status
	if a.d.Status != nil {
		st = a.d.Status.Status(r.Context())
	}
	now := a.d.Now()
	st.Version, st.Started = a.d.Version, a.d.Started
	st.Uptime = now.Sub(a.d.Started).Round(time.Second).String()
	st.Blocking = BlockingStatus{Enabled: a.d.Blocking, Paused: map[string]time.Time{}}
	if a.d.Pauser != nil {
		for g, until := range a.d.Pauser.Paused() {
			st.Blocking.Paused[g] = until
			if g == "" {
				st.Blocking.EveryoneUntil = &until
			}
		}
	}
	if st.Groups == nil {
		st.Groups = []GroupStatus{}
	}
	if st.Lists == nil {
		st.Lists = []ListStatus{}
	}
	if st.Upstreams == nil {
		st.Upstreams = []UpstreamStatus{}
	}
	if a.d.Cache != nil && st.Cache == nil {
		st.Cache = &CacheStatus{Entries: a.d.Cache.Len()}
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// PauseResult is the answer of pause and resume.
type PauseResult struct {
	Group  string               `json:"group"` // "" = everyone
	Paused map[string]time.Time `json:"paused"`
}

func (a *API) pause(w http.ResponseWriter, r *http.Request, _ who) error {
	if a.d.Pauser == nil {
		return notAvailable("pausing")
	}
	q := r.URL.Query()
	s := q.Get("duration")
	if s == "" {
		return badRequest("duration is required, e.g. duration=5m")
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 || d > MaxPause {
		return badRequest("duration: %q is not a duration between 1s and %v", s, MaxPause)
	}
	group := q.Get("group")
	if _, err := a.d.Pauser.Pause(group, d); err != nil {
		return badRequest("%v", err)
	}
	writeJSON(w, http.StatusOK, PauseResult{Group: group, Paused: a.d.Pauser.Paused()})
	return nil
}

func (a *API) resume(w http.ResponseWriter, r *http.Request, _ who) error {
	if a.d.Pauser == nil {
		return notAvailable("pausing")
	}
	group := r.URL.Query().Get("group")
	if err := a.d.Pauser.Resume(group); err != nil {
		return badRequest("%v", err)
	}
	writeJSON(w, http.StatusOK, PauseResult{Group: group, Paused: a.d.Pauser.Paused()})
	return nil
}

func (a *API) refresh(w http.ResponseWriter, r *http.Request, _ who) error {
	if a.d.Refresher == nil {
		return notAvailable("list refresh")
	}
	ctx, cancel := context.WithTimeout(r.Context(), refreshTimeout)
	defer cancel()
	if err := a.d.Refresher.Refresh(ctx); err != nil {
		return errorf(http.StatusBadGateway, "refresh: %v", err)
	}
	writeJSON(w, http.StatusOK, map[string]bool{"refreshed": true})
	return nil
}

func (a *API) explain(w http.ResponseWriter, r *http.Request, _ who) error {
	if a.d.Explainer == nil {
		return notAvailable("explain")
	}
	q := r.URL.Query()
	name, err := domainParam(q.Get("name"))
	if err != nil {
		return err
	}
	var client netip.Addr
	if s := q.Get("client"); s != "" {
		if client, err = netip.ParseAddr(s); err != nil {
			return badRequest("client: %q is not an IP address", s)
		}
	}
	id := strings.ToLower(q.Get("client_id"))
	if id != "" && !query.ValidClientID(id) {
		return badRequest("client_id: %q is not a client ID (1 to 63 letters, digits and '-')", id)
	}
	ex, err := a.d.Explainer.Explain(r.Context(), name, client.Unmap(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ex)
	return nil
}

// domainParam checks a name parameter and returns it lowercased and fully
// qualified.
func domainParam(s string) (string, error) {
	if s == "" {
		return "", badRequest("name is required")
	}
	if _, ok := dns.IsDomainName(s); !ok || len(s) > 253 {
		return "", badRequest("name: %q is not a domain name", s)
	}
	return strings.ToLower(dns.Fqdn(s)), nil
}

func (a *API) querylog(w http.ResponseWriter, r *http.Request, _ who) error {
	if a.d.QueryLog == nil {
		return notAvailable("the query log")
	}
	p := r.URL.Query()
	q := querylog.Query{Client: p.Get("client"), ClientID: strings.ToLower(p.Get("client_id")),
		Name: strings.ToLower(p.Get("name")), Result: p.Get("result")}
	if q.Client != "" {
		if _, err := netip.ParseAddr(q.Client); err != nil {
			return badRequest("client: %q is not an IP address", q.Client)
		}
	}
	if q.ClientID != "" && !query.ValidClientID(q.ClientID) {
		return badRequest("client_id: %q is not a client ID (1 to 63 letters, digits and '-')", q.ClientID)
	}
	if _, ok := query.ParseResult(q.Result); q.Result != "" && !ok {
		return badRequest("result: %q is not one of %s", q.Result, strings.Join(query.ResultLabels(), ", "))
	}
	var err error
	if q.Since, err = a.timeParam(p.Get("since"), "since"); err != nil {
		return err
	}
	if q.Until, err = a.timeParam(p.Get("until"), "until"); err != nil {
		return err
	}
	if q.Limit, err = intParam(p.Get("limit"), "limit", querylog.DefaultLimit, querylog.MaxLimit); err != nil {
		return err
	}
	recs, err := a.d.QueryLog.Search(r.Context(), q)
	if errors.Is(err, querylog.ErrNotSearchable) {
		return errorf(http.StatusNotImplemented, "%v", err)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"records": a.withGroupReasons(recs)})
	return nil
}

func (a *API) top(w http.ResponseWriter, r *http.Request, _ who) error {
	if a.d.QueryLog == nil {
		return notAvailable("the query log")
	}
	p := r.URL.Query()
	kind, err := querylog.ParseTopKind(p.Get("kind"))
	if err != nil {
		return badRequest("kind: %v", err)
	}
	since := a.d.Now().Add(-24 * time.Hour)
	if s := p.Get("since"); s != "" {
		if since, err = a.timeParam(s, "since"); err != nil {
			return err
		}
	}
	n, err := intParam(p.Get("limit"), "limit", 10, 1000)
	if err != nil {
		return err
	}
	top, err := a.d.QueryLog.Top(r.Context(), kind, since, n)
	if errors.Is(err, querylog.ErrNotSearchable) {
		return errorf(http.StatusNotImplemented, "%v", err)
	}
	if err != nil {
		return err
	}
	if kind == querylog.TopClients && a.d.Groups != nil {
		writeJSON(w, http.StatusOK, map[string]any{"kind": kind, "since": since, "top": a.clientGroups(top)})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]any{"kind": kind, "since": since, "top": top})
	return nil
}

// timeParam reads a time as a duration back from now ("1h") or RFC 3339.
func (a *API) timeParam(s, key string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return a.d.Now().Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, badRequest("%s: %q is neither a duration (1h) nor an RFC 3339 time", key, s)
	}
	return t, nil
}

func intParam(s, key string, def, max int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		return 0, badRequest("%s: %q is not a number from 1 to %d", key, s, max)
	}
	return n, nil
}

func (a *API) flushCache(w http.ResponseWriter, _ *http.Request, _ who) error {
	if a.d.Cache == nil {
		return notAvailable("the cache")
	}
	n := a.d.Cache.Len()
	a.d.Cache.Flush()
	writeJSON(w, http.StatusOK, map[string]int{"flushed": n})
	return nil
}

func (a *API) allowList(w http.ResponseWriter, _ *http.Request, _ who) error {
	if a.d.Allow == nil {
		return notAvailable("runtime allow entries")
	}
	writeJSON(w, http.StatusOK, map[string]any{"allow": a.d.Allow.List()})
	return nil
}

func (a *API) allowAdd(w http.ResponseWriter, r *http.Request, c who) error {
	if a.d.Allow == nil {
		return notAvailable("runtime allow entries")
	}
	name, err := domainParam(r.URL.Query().Get("name"))
	if err != nil {
		return err
	}
	e, err := a.d.Allow.Add(name, c.kind.String()+"@"+c.remote)
	if err != nil {
		return badRequest("name: %v", err) // Add validates: not a domain, a TLD alone
	}
	writeJSON(w, http.StatusCreated, e)
	return nil
}

func (a *API) allowRemove(w http.ResponseWriter, r *http.Request, _ who) error {
	if a.d.Allow == nil {
		return notAvailable("runtime allow entries")
	}
	name, err := domainParam(r.URL.Query().Get("name"))
	if err != nil {
		return err
	}
	ok, err := a.d.Allow.Remove(name)
	if err != nil {
		return err
	}
	if !ok {
		return errorf(http.StatusNotFound, "%s is not in the runtime allow list", name)
	}
	writeJSON(w, http.StatusOK, map[string]string{"removed": name})
	return nil
}
