package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"sort"
	"testing"
)

// TestIndexListsEveryDocumentedEndpoint: GET /api/v1/ answers with the
// endpoints, and they are exactly the paths docs/openapi.yaml documents.
func TestIndexListsEveryDocumentedEndpoint(t *testing.T) {
	a := New(Tokens{}, Deps{})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/api/v1/", nil)
	a.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /api/v1/: %d %s", rec.Code, rec.Body)
	}
	var idx struct{ Endpoints []Endpoint }
	if err := json.Unmarshal(rec.Body.Bytes(), &idx); err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, e := range idx.Endpoints {
		served[e.Path[len(Prefix)-1:]] = true
	}
	doc, err := os.ReadFile("../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^  (/\S*):\s*$`).FindAllStringSubmatch(string(doc), -1) {
		documented[m[1]] = true
	}
	if len(served) == 0 || len(documented) == 0 {
		t.Fatalf("served %v, documented %v", served, documented)
	}
	for _, d := range diff(served, documented) {
		t.Errorf("served but not in docs/openapi.yaml: %s", d)
	}
	for _, d := range diff(documented, served) {
		t.Errorf("in docs/openapi.yaml but not served: %s", d)
	}
	rec = httptest.NewRecorder()
	a.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://127.0.0.1/api/v1/nope", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("unknown endpoint: %d", rec.Code)
	}
}

func diff(a, b map[string]bool) []string {
	var out []string
	for k := range a {
		if !b[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
