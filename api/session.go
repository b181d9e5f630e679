package api

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"sync"
	"time"
)

// SessionCookie is the console's session cookie. It holds a random id,
// never a token or a password.
const SessionCookie = "cleandns_session"

// SessionTTL is how long a login lasts; the console asks again after it.
const SessionTTL = 12 * time.Hour

// maxSessions bounds the store: a flood of logins (each needs the secret)
// evicts the oldest sessions rather than growing memory.
const maxSessions = 1000

// Sessions are the console's logins. They live in memory, outlive API
// rebuilds (a reload) and end with the process: a restart logs everyone
// out, which is the safe side for a home resolver.
type Sessions struct {
	mu      sync.Mutex
	m       map[string]session
	now     func() time.Time
	limiter *loginLimiter // failed logins per address, kept across reloads too
}

type session struct {
	kind    access
	cred    [32]byte // which secret opened it: a session ends when that secret changes
	expires time.Time
}

// NewSessions returns an empty store; now nil means time.Now.
func NewSessions(now func() time.Time) *Sessions {
	if now == nil {
		now = time.Now
	}
	return &Sessions{m: map[string]session{}, now: now, limiter: newLoginLimiter(now)}
}

// create stores a new session and returns its id.
func (s *Sessions) create(kind access, cred [32]byte) (string, time.Time, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", time.Time{}, err
	}
	id := base64.RawURLEncoding.EncodeToString(b[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if len(s.m) >= maxSessions {
		s.evictLocked(now)
	}
	exp := now.Add(SessionTTL)
	s.m[id] = session{kind: kind, cred: cred, expires: exp}
	return id, exp, nil
}

// evictLocked drops expired sessions, and the oldest one if none expired.
func (s *Sessions) evictLocked(now time.Time) {
	oldest, first := "", time.Time{}
	for id, ss := range s.m {
		if now.After(ss.expires) {
			delete(s.m, id)
			continue
		}
		if oldest == "" || ss.expires.Before(first) {
			oldest, first = id, ss.expires
		}
	}
	if len(s.m) >= maxSessions {
		delete(s.m, oldest)
	}
}

func (s *Sessions) get(id string) (session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.m[id]
	if ok && s.now().After(ss.expires) {
		delete(s.m, id)
		return session{}, false
	}
	return ss, ok
}

func (s *Sessions) remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
}

// fingerprint names a secret without keeping it.
func fingerprint(secret string) [32]byte {
	return sha256.Sum256([]byte("cleandns session\x00" + secret))
}
