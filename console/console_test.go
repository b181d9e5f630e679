package console

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, method, path string, headers ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Result()
}

// TestHeaders: every answer carries the strict CSP and no-framing
// headers; files come gzipped when asked, with an ETag.
func TestHeaders(t *testing.T) {
	h, err := New()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method, path, enc string
		want              int
		ctype             string
	}{
		{"GET", "/", "gzip", http.StatusOK, "text/html"},
		{"GET", "/assets/app.js", "gzip, deflate", http.StatusOK, "text/javascript"},
		{"GET", "/assets/style.css", "", http.StatusOK, "text/css"},
		{"HEAD", "/assets/icon.svg", "", http.StatusOK, "image/svg+xml"},
		{"GET", "/nosuch", "", http.StatusNotFound, ""},
		{"POST", "/", "", http.StatusMethodNotAllowed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp := get(t, h, tt.method, tt.path, "Accept-Encoding", tt.enc)
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
			csp := resp.Header.Get("Content-Security-Policy")
			for _, must := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'"} {
				if !strings.Contains(csp, must) {
					t.Errorf("CSP %q lacks %q", csp, must)
				}
			}
			if strings.Contains(csp, "unsafe-") {
				t.Errorf("CSP %q allows unsafe-", csp)
			}
			if resp.Header.Get("X-Frame-Options") != "DENY" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("headers %v", resp.Header)
			}
			if tt.want != http.StatusOK {
				return
			}
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), tt.ctype) {
				t.Errorf("Content-Type %q, want %s", resp.Header.Get("Content-Type"), tt.ctype)
			}
			if gz := resp.Header.Get("Content-Encoding") == "gzip"; gz != strings.Contains(tt.enc, "gzip") {
				t.Errorf("Content-Encoding %q for Accept-Encoding %q", resp.Header.Get("Content-Encoding"), tt.enc)
			}
			etag := resp.Header.Get("ETag")
			if again := get(t, h, "GET", tt.path, "If-None-Match", etag); etag == "" || again.StatusCode != http.StatusNotModified {
				t.Errorf("ETag %q: revalidation answered %d", etag, again.StatusCode)
			}
		})
	}
}

// TestNoInlineScriptOrStyle: the CSP would refuse them, so none may ship.
func TestNoInlineScriptOrStyle(t *testing.T) {
	h, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for path, f := range h.files {
		s := string(f.body)
		if strings.Contains(s, "<script>") || strings.Contains(s, "style=") || strings.Contains(s, " onclick=") ||
			strings.Contains(s, "eval(") || strings.Contains(s, "new Function") || strings.Contains(s, "innerHTML") {
			t.Errorf("%s has inline script or style, eval or innerHTML", path)
		}
	}
}

// TestFirstLoadBudget: everything the first page loads is under 200 KB
// gzipped (the budget; today it is a small fraction of it).
func TestFirstLoadBudget(t *testing.T) {
	h, err := New()
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, f := range h.files {
		total += len(f.gz)
	}
	if total > 200<<10 {
		t.Errorf("assets: %d KB gzipped, budget 200 KB", total>>10)
	}
	t.Logf("all assets: %d bytes gzipped", total)
}

func TestOff(t *testing.T) {
	resp := get(t, Off(errors.New("http.admin_token or http.password_hash is required")), "GET", "/")
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), "password_hash") ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("off: %d %q %v", resp.StatusCode, b, resp.Header)
	}
}
