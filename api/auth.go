package api

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/cleandns/cleandns/internal/redact"
)

// access is what a request's token opens.
type access int

const (
	accessNone access = iota
	accessRead
	accessAdmin
)

func (k access) String() string {
	switch k {
	case accessRead:
		return "read"
	case accessAdmin:
		return "admin"
	}
	return "none"
}

// who is the caller: the token kind (never the token) and address.
type who struct {
	kind   access
	remote string
}

// authorize reports what the request's bearer token, or else its console
// session cookie, opens, and false when a secret was needed and none, or a
// wrong one, was given. Both tokens are always compared, in constant time,
// so timing says nothing about either.
func (a *API) authorize(r *http.Request) (access, bool) {
	if a.open() {
		return accessAdmin, true // open API: CheckListener allows this on loopback only
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || got == "" {
		if k := a.sessionAccess(r); k != accessNone {
			return k, true
		}
		return accessNone, false
	}
	isAdmin := a.tokens.Admin != "" && subtle.ConstantTimeCompare([]byte(got), []byte(a.tokens.Admin)) == 1
	isRead := a.tokens.Read != "" && subtle.ConstantTimeCompare([]byte(got), []byte(a.tokens.Read)) == 1
	switch {
	case isAdmin:
		return accessAdmin, true
	case isRead:
		return accessRead, true
	}
	return accessNone, false
}

type handler func(w http.ResponseWriter, r *http.Request, c who) error

// read guards an endpoint the read token opens.
func (a *API) read(h handler) http.Handler {
	return a.guard(accessRead, "", h)
}

// admin guards an endpoint only the admin token opens, and writes the
// audit trail: every call, allowed or refused, with who and what.
func (a *API) admin(action string, h handler) http.Handler {
	return a.guard(accessAdmin, action, h)
}

func (a *API) guard(need access, action string, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind, ok := a.authorize(r)
		c := who{kind: kind, remote: r.RemoteAddr}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		w = sw
		var err error
		switch {
		case !ok:
			w.Header().Set("WWW-Authenticate", `Bearer realm="cleandns"`)
			err = errorf(http.StatusUnauthorized, "missing or wrong bearer token")
		case kind < need:
			err = errorf(http.StatusForbidden, "this needs the admin token")
		default:
			err = h(w, r, c)
		}
		if err != nil {
			writeErr(w, err)
		}
		if action != "" {
			a.audit(action, c, r, sw.status, err)
		}
	})
}

// audit logs an admin action. The query string is logged (it holds the
// action's parameters) with secret-looking values and URLs redacted;
// headers, where tokens travel, never are.
func (a *API) audit(action string, c who, r *http.Request, status int, err error) {
	fields := []zap.Field{
		zap.String("action", action),
		zap.String("token", c.kind.String()),
		zap.String("remote", c.remote),
		zap.String("params", redact.Query(r.URL.RawQuery)),
		zap.Int("status", status),
	}
	if err != nil {
		fields = append(fields, zap.Error(err))
	}
	a.log.Info("api audit", fields...)
}

// statusWriter remembers the status written, for the audit trail.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Guard returns h behind the read token (or the admin token), for other
// endpoints on the listener that should need one, such as /metrics under
// http.metrics_auth. Refusals are plain JSON errors, like the API's.
func (a *API) Guard(h http.Handler) http.Handler {
	return a.read(func(w http.ResponseWriter, r *http.Request, _ who) error {
		h.ServeHTTP(w, r)
		return nil
	})
}
