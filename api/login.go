package api

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/crypto/bcrypt"
)

// Login limits: after loginBurst failures from one address within
// loginWindow, its logins answer 429 until the window ends.
const (
	loginBurst  = 5
	loginWindow = time.Minute
	maxLoginLen = 4096 // a body larger than this is not a password
)

// LoginRequest is the body of POST /session: a password (the console's
// or the viewer's) or a token (admin or read). Never in the URL.
type LoginRequest struct {
	Password string `json:"password,omitempty"`
	Token    string `json:"token,omitempty"`
}

// SessionInfo is the answer of GET and POST /session.
type SessionInfo struct {
	Access  string    `json:"access"`         // "admin", "read" or "none" (not logged in)
	Open    bool      `json:"open,omitempty"` // no secret is configured: no login needed
	Expires time.Time `json:"expires,omitzero"`
}

// sessionInfo answers what the caller's session (or token) opens; not
// being logged in is a normal state here, so it answers 200 with "none".
func (a *API) sessionInfo(w http.ResponseWriter, r *http.Request) {
	kind, _ := a.authorize(r)
	info := SessionInfo{Access: kind.String(), Open: a.open()}
	if c, err := r.Cookie(SessionCookie); err == nil {
		if ss, ok := a.sessions.get(c.Value); ok {
			info.Expires = ss.expires
		}
	}
	writeJSON(w, http.StatusOK, info)
}

// login checks a password or token and answers a session cookie. Failures
// are counted per address and logged with it, never with what was sent.
func (a *API) login(w http.ResponseWriter, r *http.Request) {
	addr := remoteIP(r.RemoteAddr)
	if wait := a.sessions.limiter.blocked(addr); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Round(time.Second).Seconds())+1))
		writeError(w, http.StatusTooManyRequests, "too many failed logins from this address; try again later")
		a.log.Warn("console login refused: rate limited", zap.String("remote", r.RemoteAddr))
		return
	}
	var req LoginRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, maxLoginLen)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "body: want JSON {\"password\": ...} or {\"token\": ...}")
		return
	}
	kind, cred := a.check(req)
	if kind == accessNone {
		a.sessions.limiter.fail(addr)
		a.log.Warn("console login failed", zap.String("remote", r.RemoteAddr),
			zap.Bool("password", req.Password != ""), zap.Bool("token", req.Token != ""))
		writeError(w, http.StatusUnauthorized, "wrong password or token")
		return
	}
	id, exp, err := a.sessions.create(kind, cred)
	if err != nil {
		writeErr(w, err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: id, Path: "/", Expires: exp, MaxAge: int(SessionTTL.Seconds()),
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
	a.log.Info("console login", zap.String("access", kind.String()), zap.String("remote", r.RemoteAddr))
	writeJSON(w, http.StatusOK, SessionInfo{Access: kind.String(), Expires: exp})
}

func (a *API) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil {
		a.sessions.remove(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	writeJSON(w, http.StatusOK, map[string]bool{"logged_out": true})
}

// check returns what a login opens and the fingerprint of the secret that
// opened it. Tokens compare in constant time; passwords through bcrypt.
func (a *API) check(req LoginRequest) (access, [32]byte) {
	t := a.tokens
	switch {
	case req.Token != "":
		isAdmin := t.Admin != "" && subtle.ConstantTimeCompare([]byte(req.Token), []byte(t.Admin)) == 1
		isRead := t.Read != "" && subtle.ConstantTimeCompare([]byte(req.Token), []byte(t.Read)) == 1
		switch {
		case isAdmin:
			return accessAdmin, fingerprint(t.Admin)
		case isRead:
			return accessRead, fingerprint(t.Read)
		}
	case req.Password != "":
		if passwordMatches(t.PasswordHash, req.Password) {
			return accessAdmin, fingerprint(t.PasswordHash)
		}
		if passwordMatches(t.ViewerHash, req.Password) {
			return accessRead, fingerprint(t.ViewerHash)
		}
	}
	return accessNone, [32]byte{}
}

func passwordMatches(hash, password string) bool {
	if hash == "" {
		return false
	}
	err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
	return err == nil
}

// HashPassword returns the bcrypt hash `cleandns password` prints for
// http.password_hash and http.viewer_password_hash.
func HashPassword(password string) (string, error) {
	if len(password) < 8 {
		return "", errors.New("password: use at least 8 characters")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", err
	}
	return string(h), nil
}

// CheckPasswordHash reports whether s is a bcrypt hash, for config checks.
func CheckPasswordHash(s string) error {
	if _, err := bcrypt.Cost([]byte(s)); err != nil {
		return errors.New("not a bcrypt hash: set it with `cleandns password`")
	}
	return nil
}

// sessionAccess is what the request's session cookie opens, if any: a
// session ends when the secret that opened it is changed or removed.
func (a *API) sessionAccess(r *http.Request) access {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return accessNone
	}
	ss, ok := a.sessions.get(c.Value)
	if !ok {
		return accessNone
	}
	t := a.tokens
	var still []string
	if ss.kind == accessAdmin {
		still = []string{t.Admin, t.PasswordHash}
	} else {
		still = []string{t.Read, t.ViewerHash}
	}
	for _, s := range still {
		if s != "" && fingerprint(s) == ss.cred {
			return ss.kind
		}
	}
	return accessNone
}

func remoteIP(remote string) string {
	if h, _, err := net.SplitHostPort(remote); err == nil {
		return h
	}
	return remote
}

// loginLimiter counts failed logins per address in fixed windows.
type loginLimiter struct {
	mu  sync.Mutex
	m   map[string]*failures
	now func() time.Time
}

type failures struct {
	n     int
	since time.Time
}

// maxTracked bounds the limiter's memory; past it, the table restarts.
const maxTracked = 10000

func newLoginLimiter(now func() time.Time) *loginLimiter {
	return &loginLimiter{m: map[string]*failures{}, now: now}
}

// blocked returns how long addr must wait, or 0.
func (l *loginLimiter) blocked(addr string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.m[addr]
	if f == nil {
		return 0
	}
	left := f.since.Add(loginWindow).Sub(l.now())
	if left <= 0 {
		delete(l.m, addr)
		return 0
	}
	if f.n < loginBurst {
		return 0
	}
	return left
}

func (l *loginLimiter) fail(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	f := l.m[addr]
	if f == nil || now.Sub(f.since) >= loginWindow {
		if len(l.m) >= maxTracked {
			l.m = map[string]*failures{}
		}
		f = &failures{since: now}
		l.m[addr] = f
	}
	f.n++
}
