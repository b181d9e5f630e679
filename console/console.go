// Package console is cleandns's web console: a few static files (HTML, CSS,
// ES modules) embedded in the binary and served at http.listen "/". It has
// no server-side logic of its own: the page logs in and does everything
// through the documented API (/api/v1), so nothing it does is impossible
// from curl. See docs/console.md for why it is built this way.
package console

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed assets
var assets embed.FS

// CSP is the console's Content-Security-Policy: scripts, styles and
// images only from the console itself, no inline script or style, no
// eval, and no framing (clickjacking).
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Handler serves the embedded files. Mount it at "/".
type Handler struct {
	files map[string]file // by URL path
}

// file is one asset, compressed once at start so no request pays for gzip.
type file struct {
	body, gz []byte
	ctype    string
	etag     string
}

// New reads and compresses the embedded files.
func New() (*Handler, error) {
	h := &Handler{files: map[string]file{}}
	err := fs.WalkDir(assets, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := assets.ReadFile(p)
		if err != nil {
			return err
		}
		f, err := newFile(p, body)
		if err != nil {
			return fmt.Errorf("console asset %s: %w", p, err)
		}
		url := "/" + p
		if p == "assets/index.html" {
			url = "/"
		}
		h.files[url] = f
		return nil
	})
	return h, err
}

func newFile(p string, body []byte) (file, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return file{}, err
	}
	if _, err := zw.Write(body); err != nil {
		return file{}, err
	}
	if err := zw.Close(); err != nil {
		return file{}, err
	}
	sum := sha256.Sum256(body)
	ctype := mime.TypeByExtension(path.Ext(p))
	if strings.HasSuffix(p, ".js") {
		ctype = "text/javascript; charset=utf-8" // some systems' mime tables lack .js or say application/x-
	}
	return file{body: body, gz: buf.Bytes(), ctype: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}, nil
}

// SetSecurityHeaders sets the headers every console answer carries, the
// error pages included.
func SetSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", CSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// ServeHTTP serves one file, gzipped when the client takes it.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	SetSecurityHeaders(w.Header())
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	f, ok := h.files[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", f.ctype)
	hd.Set("Cache-Control", "no-cache") // revalidate: a new binary brings new files
	hd.Set("ETag", f.etag)
	hd.Set("Vary", "Accept-Encoding")
	if r.Header.Get("If-None-Match") == f.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := f.body
	if acceptsGzip(r) {
		hd.Set("Content-Encoding", "gzip")
		body = f.gz
	}
	hd.Set("Content-Length", fmt.Sprint(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.TrimSpace(q) != "q=0" {
			return true
		}
	}
	return false
}

// Off answers every console request with why the console is off (the API
// is off on this listener: no admin secret on a non-loopback address).
func Off(reason error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		SetSecurityHeaders(w.Header())
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = fmt.Fprintf(w, "cleandns console off: %v\n", reason)
	})
}
