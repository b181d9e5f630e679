package api

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cleandns/cleandns/blocklist"
)

// send calls the API with a JSON body and decodes the answer into v.
func (e *env) send(t *testing.T, method, path, token string, body any, v any) int {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s %s: %v in %s", method, path, err, raw)
	}
	return resp.StatusCode
}

func (e *env) rules(t *testing.T) []string {
	t.Helper()
	var got struct{ Rules []CustomEntry }
	if e.send(t, "GET", "/api/v1/rules", adminTok, nil, &got) != http.StatusOK {
		t.Fatal("GET /rules failed")
	}
	var out []string
	for _, r := range got.Rules {
		out = append(out, r.Rule)
	}
	return out
}

// TestRulesText: POST /rules/check reads a whole text and names each bad
// line, storing nothing; PUT /rules replaces the set whole, refuses it
// whole with the same per-line errors, needs the admin token and is
// audited with what it changed.
func TestRulesText(t *testing.T) {
	e := newEnv(t, Tokens{Admin: adminTok, Read: readTok})
	if code, body := e.do(t, "POST", "/api/v1/rules?rule=%7C%7Cold.example%5E", adminTok); code != http.StatusCreated {
		t.Fatalf("add: %d %s", code, body)
	}
	const bad = "||good.example^\n! a comment\n||bad..example^\n\nexample.com##.ad\n"
	const good = "||good.example^\n@@||ok.good.example^\n0.0.0.0 tracker.example\n"
	for _, tt := range []struct {
		name, method, token string
		body                any
		want                int
		ok                  bool
		errLines            []int
		rules               []string // the set afterwards
	}{
		{name: "check a bad text", method: "POST", token: readTok, body: RulesText{Text: bad}, want: 200, errLines: []int{3, 5}, rules: []string{"||old.example^"}},
		{name: "check a good text", method: "POST", token: readTok, body: RulesText{Text: good}, want: 200, ok: true, rules: []string{"||old.example^"}},
		{name: "check without JSON", method: "POST", token: readTok, body: "just text", want: 400, rules: []string{"||old.example^"}},
		{name: "replace with the read token", method: "PUT", token: readTok, body: RulesText{Text: good}, want: 403, rules: []string{"||old.example^"}},
		{name: "replace with a bad text", method: "PUT", token: adminTok, body: RulesText{Text: bad}, want: 400, errLines: []int{3, 5}, rules: []string{"||old.example^"}},
		{name: "replace", method: "PUT", token: adminTok, body: RulesText{Text: good}, want: 200, rules: []string{"||good.example^", "@@||ok.good.example^", "0.0.0.0 tracker.example"}},
		{name: "replace with nothing", method: "PUT", token: adminTok, body: RulesText{Text: "! all gone\n"}, want: 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// A check's answer or a refusal, or what a replace changed.
			var res struct {
				OK      bool                  `json:"ok"`
				Errors  []blocklist.LineError `json:"errors"`
				Error   string                `json:"error"`
				Rules   int                   `json:"rules"`
				Added   []string              `json:"added"`
				Removed []string              `json:"removed"`
			}
			code := e.send(t, tt.method, "/api/v1/rules"+map[string]string{"POST": "/check"}[tt.method], tt.token, tt.body, &res)
			if code != tt.want {
				t.Fatalf("status %d, want %d (%+v)", code, tt.want, res)
			}
			if tt.method == "POST" && code == 200 && res.OK != tt.ok {
				t.Errorf("ok %v, want %v", res.OK, tt.ok)
			}
			var lines []int
			for _, le := range res.Errors {
				lines = append(lines, le.Line)
			}
			if len(lines) != len(tt.errLines) || (len(lines) > 0 && (lines[0] != tt.errLines[0] || lines[1] != tt.errLines[1])) {
				t.Errorf("error lines %v, want %v (%+v)", lines, tt.errLines, res.Errors)
			}
			if code == 400 && tt.errLines != nil && !strings.Contains(res.Error, "nothing was saved: 2 lines") {
				t.Errorf("refusal says %q", res.Error)
			}
			if got := e.rules(t); strings.Join(got, "|") != strings.Join(tt.rules, "|") {
				t.Errorf("set %q, want %q", got, tt.rules)
			}
		})
	}
	var audited, detailed bool
	for _, entry := range e.audit.All() {
		m := entry.ContextMap()
		if entry.Message == "api audit" && m["action"] == "replace rules" && m["status"] == int64(200) {
			audited = true
		}
		if entry.Message == "api rules replaced" && strings.Contains(strings.Join(toStrings(m["added"]), " "), "||good.example^") {
			detailed = true
		}
	}
	if !audited || !detailed {
		t.Errorf("audit line %v, detail line %v", audited, detailed)
	}
}

func toStrings(v any) []string {
	var out []string
	if s, ok := v.([]any); ok {
		for _, x := range s {
			out = append(out, x.(string))
		}
	}
	if s, ok := v.([]string); ok {
		out = s
	}
	return out
}

// TestRulesReplaceVersion: PUT /rules with the version GET /rules gave
// replaces the set; after another change it is refused with 409 and the
// rule added meanwhile stays.
func TestRulesReplaceVersion(t *testing.T) {
	e := newEnv(t, Tokens{Admin: adminTok})
	var got struct {
		Rules   []CustomEntry
		Version string
	}
	e.send(t, "GET", "/api/v1/rules", adminTok, nil, &got)
	if got.Version == "" {
		t.Fatal("GET /rules gave no version")
	}
	if code, body := e.do(t, "POST", "/api/v1/rules?rule=%7C%7Cmeanwhile.example%5E", adminTok); code != http.StatusCreated {
		t.Fatalf("add: %d %s", code, body)
	}
	var res map[string]any
	if code := e.send(t, "PUT", "/api/v1/rules", adminTok, RulesText{Text: "||mine.example^", Version: got.Version}, &res); code != http.StatusConflict ||
		!strings.Contains(res["error"].(string), "changed since") {
		t.Errorf("PUT on a stale version: %d %v, want 409", code, res)
	}
	if r := e.rules(t); len(r) != 1 || r[0] != "||meanwhile.example^" {
		t.Errorf("after the refused PUT: %q", r)
	}
	e.send(t, "GET", "/api/v1/rules", adminTok, nil, &got)
	if code := e.send(t, "PUT", "/api/v1/rules", adminTok, RulesText{Text: "||mine.example^", Version: got.Version}, &res); code != http.StatusOK {
		t.Errorf("PUT on the current version: %d %v", code, res)
	}
	if r := e.rules(t); len(r) != 1 || r[0] != "||mine.example^" {
		t.Errorf("after the PUT: %q", r)
	}
}
