package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"golang.org/x/crypto/bcrypt"
)

const (
	adminPassword  = "admin-password-123"
	viewerPassword = "viewer-password-456"
)

func hash(t *testing.T, pw string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// login posts a login body and returns the response (body read).
func login(t *testing.T, c *http.Client, url string, body any, headers ...string) (*http.Response, string) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, err := http.NewRequest("POST", url+"/api/v1/session", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, string(out)
}

func sessionCookie(t *testing.T, resp *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == SessionCookie {
			return c
		}
	}
	t.Fatalf("no %s cookie in %v", SessionCookie, resp.Header["Set-Cookie"])
	return nil
}

func withCookie(t *testing.T, method, url string, c *http.Cookie, headers ...string) int {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(c)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestLoginOpens: each secret opens what it should through a session
// cookie, and the cookie says HttpOnly and SameSite=Strict.
func TestLoginOpens(t *testing.T) {
	e := newEnv(t, Tokens{Admin: adminTok, Read: readTok, PasswordHash: hash(t, adminPassword), ViewerHash: hash(t, viewerPassword)})
	tests := []struct {
		name       string
		body       LoginRequest
		wantStatus int
		wantAdmin  bool
	}{
		{"admin password", LoginRequest{Password: adminPassword}, http.StatusOK, true},
		{"viewer password", LoginRequest{Password: viewerPassword}, http.StatusOK, false},
		{"admin token", LoginRequest{Token: adminTok}, http.StatusOK, true},
		{"read token", LoginRequest{Token: readTok}, http.StatusOK, false},
		{"wrong password", LoginRequest{Password: "nope-nope"}, http.StatusUnauthorized, false},
		{"token as password", LoginRequest{Password: adminTok}, http.StatusUnauthorized, false},
		{"empty", LoginRequest{}, http.StatusUnauthorized, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := login(t, http.DefaultClient, e.url, tt.body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, body, tt.wantStatus)
			}
			if tt.wantStatus != http.StatusOK {
				return
			}
			c := sessionCookie(t, resp)
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure || c.Path != "/" {
				t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, not Secure over http, Path /", c)
			}
			if strings.Contains(c.Value, adminPassword) || strings.Contains(c.Value, adminTok) {
				t.Error("the cookie holds the secret")
			}
			if got := withCookie(t, "GET", e.url+"/api/v1/status", c); got != http.StatusOK {
				t.Errorf("status with the cookie: %d", got)
			}
			wantFlush := map[bool]int{true: http.StatusOK, false: http.StatusForbidden}[tt.wantAdmin]
			if got := withCookie(t, "POST", e.url+"/api/v1/cache/flush", c); got != wantFlush {
				t.Errorf("flush with the cookie: %d, want %d", got, wantFlush)
			}
			if got := withCookie(t, "DELETE", e.url+"/api/v1/session", c); got != http.StatusOK {
				t.Errorf("logout: %d", got)
			}
			if got := withCookie(t, "GET", e.url+"/api/v1/status", c); got != http.StatusUnauthorized {
				t.Errorf("status after logout: %d, want 401", got)
			}
		})
	}
}

// TestCookieSecureOverTLS: over TLS the session cookie is Secure.
func TestCookieSecureOverTLS(t *testing.T) {
	a := New(Tokens{PasswordHash: hash(t, adminPassword)}, Deps{})
	srv := httptest.NewTLSServer(a)
	t.Cleanup(srv.Close)
	resp, body := login(t, srv.Client(), srv.URL, LoginRequest{Password: adminPassword})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %d %s", resp.StatusCode, body)
	}
	if c := sessionCookie(t, resp); !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
		t.Errorf("cookie over TLS %+v: want Secure, HttpOnly, SameSite=Strict", c)
	}
}

// TestLoginRateLimit: after five failures an address waits, even with the
// right password; the log names the address and never what was sent.
func TestLoginRateLimit(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	a := New(Tokens{PasswordHash: hash(t, adminPassword)}, Deps{Logger: zap.New(core)})
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	for i := 0; i < loginBurst; i++ {
		if resp, _ := login(t, http.DefaultClient, srv.URL, LoginRequest{Password: "guess-" + string(rune('a'+i))}); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, resp.StatusCode)
		}
	}
	resp, _ := login(t, http.DefaultClient, srv.URL, LoginRequest{Password: adminPassword})
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("after %d failures: %d, Retry-After %q; want 429 with Retry-After", loginBurst, resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	failed := logs.FilterMessage("console login failed").All()
	if len(failed) != loginBurst {
		t.Errorf("%d failures logged, want %d", len(failed), loginBurst)
	}
	for _, entry := range logs.All() {
		if entry.ContextMap()["remote"] == nil {
			t.Errorf("%q logged without the address", entry.Message)
		}
		for _, f := range entry.Context {
			if strings.Contains(f.String, "guess-") || strings.Contains(f.String, adminPassword) {
				t.Errorf("log %q holds the secret: %v", entry.Message, entry.Context)
			}
		}
	}
}

// TestCrossSitePOSTWithSession: a page on another site cannot use the
// admin's session: the cookie is SameSite=Strict, and a cross-site POST
// is refused even if a browser sent it.
func TestCrossSitePOSTWithSession(t *testing.T) {
	e := newEnv(t, Tokens{PasswordHash: hash(t, adminPassword)})
	resp, _ := login(t, http.DefaultClient, e.url, LoginRequest{Password: adminPassword})
	c := sessionCookie(t, resp)
	if got := withCookie(t, "POST", e.url+"/api/v1/blocking/pause?duration=5m", c, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"); got != http.StatusForbidden {
		t.Errorf("cross-site pause with the session: %d, want 403", got)
	}
	if resp, _ := login(t, http.DefaultClient, e.url, LoginRequest{Password: adminPassword}, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site login: %d, want 403", resp.StatusCode)
	}
	if got := withCookie(t, "POST", e.url+"/api/v1/blocking/pause?duration=5m", c, "Sec-Fetch-Site", "same-origin"); got != http.StatusOK {
		t.Errorf("same-origin pause with the session: %d, want 200", got)
	}
}

// TestSessionEndsWhenItsSecretChanges: a reload that changes the password
// ends the sessions it opened, though the store outlives the API.
func TestSessionEndsWhenItsSecretChanges(t *testing.T) {
	store := NewSessions(nil)
	first := httptest.NewServer(New(Tokens{PasswordHash: hash(t, adminPassword)}, Deps{Sessions: store}))
	t.Cleanup(first.Close)
	resp, _ := login(t, http.DefaultClient, first.URL, LoginRequest{Password: adminPassword})
	c := sessionCookie(t, resp)
	same := httptest.NewServer(New(Tokens{PasswordHash: first.Config.Handler.(*API).tokens.PasswordHash}, Deps{Sessions: store}))
	t.Cleanup(same.Close)
	if got := withCookie(t, "GET", same.URL+"/api/v1/status", c); got != http.StatusOK {
		t.Errorf("same password after a reload: %d, want 200", got)
	}
	changed := httptest.NewServer(New(Tokens{PasswordHash: hash(t, "another-password")}, Deps{Sessions: store}))
	t.Cleanup(changed.Close)
	if got := withCookie(t, "GET", changed.URL+"/api/v1/status", c); got != http.StatusUnauthorized {
		t.Errorf("changed password: %d, want 401", got)
	}
}

func TestCheckListenerWithPassword(t *testing.T) {
	if err := CheckListener("0.0.0.0:9153", Tokens{}); err == nil {
		t.Error("no secret on 0.0.0.0 passed")
	}
	if err := CheckListener("0.0.0.0:9153", Tokens{PasswordHash: "$2a$..."}); err != nil {
		t.Errorf("a password on 0.0.0.0: %v", err)
	}
	if err := CheckListener("0.0.0.0:9153", Tokens{ViewerHash: "$2a$...", Read: "r"}); err == nil {
		t.Error("only read secrets on 0.0.0.0 passed")
	}
}
