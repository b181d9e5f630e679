package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cleandns/cleandns/querylog"
)

// groupsLog answers with fixed records and top clients.
type groupsLog struct{ fakeLog }

func (groupsLog) Search(context.Context, querylog.Query) ([]querylog.Record, error) {
	return []querylog.Record{
		{Client: "10.0.0.5", Group: "kids", Name: "a.example."},
		{Client: "192.0.2.7", ClientID: "annas-phone", Group: "kids", Name: "b.example."},
		{Client: "10.0.0.53", Group: "kids", Name: "c.example."},  // a forwarder's MAC or ECS chose it
		{Client: "192.0.2.9", Group: "staff", Name: "d.example."}, // the groups changed since
		{Group: "default", Name: "e.example."},                    // querylog.client: none
	}, nil
}

func (groupsLog) Top(context.Context, querylog.TopKind, time.Time, int) ([]querylog.Count, error) {
	return []querylog.Count{{Key: "id:annas-phone", Count: 9}, {Key: "10.0.0.5", Count: 4}, {Key: "192.0.2.1", Count: 2}, {Key: "", Count: 1}}, nil
}

// TestClientGroupsInTopAndLog: top clients carry their group and why, each
// log record the reason for its group when today's groups give it, and
// explain passes the client ID on.
func TestClientGroupsInTopAndLog(t *testing.T) {
	srv := httptest.NewServer(New(Tokens{}, Deps{QueryLog: &groupsLog{}, Groups: fakeGroups{}, Explainer: fakeExplainer{}}))
	t.Cleanup(srv.Close)
	get := func(path string, v any) int {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
				t.Fatal(err)
			}
		}
		return resp.StatusCode
	}
	var raw struct{ Top []map[string]any }
	get("/api/v1/top?kind=clients", &raw)
	wantTop := []struct{ key, group, by string }{{"id:annas-phone", "kids", "id"}, {"10.0.0.5", "kids", "network"}, {"192.0.2.1", "default", "default"}, {"", "", ""}}
	if len(raw.Top) != len(wantTop) {
		t.Fatalf("top %v", raw.Top)
	}
	for i, w := range wantTop {
		got := raw.Top[i]
		if got["key"] != w.key || (w.group == "" && got["group"] != nil) || (w.group != "" && (got["group"] != w.group || got["group_by"] != w.by || got["group_reason"] == "")) {
			t.Errorf("top[%d] = %v, want %s in %q by %q", i, got, w.key, w.group, w.by)
		}
	}
	var names struct{ Top []map[string]any }
	get("/api/v1/top?kind=names", &names)
	if len(names.Top) == 0 || names.Top[0]["group"] != nil {
		t.Errorf("top names carry groups: %v", names.Top)
	}

	var log struct{ Records []LogRecord }
	get("/api/v1/querylog", &log)
	wantBy := map[string]string{"a.example.": "network", "b.example.": "id", "c.example.": "forwarder", "d.example.": "", "e.example.": ""}
	for _, r := range log.Records {
		if r.GroupBy != wantBy[r.Name] || (r.GroupBy != "") != (r.GroupReason != "") {
			t.Errorf("%s: group_by %q (%q), want %q", r.Name, r.GroupBy, r.GroupReason, wantBy[r.Name])
		}
	}

	for _, tt := range []struct {
		path string
		code int
		id   string
	}{
		{"/api/v1/explain?name=x.example&client_id=Annas-Phone", 200, "annas-phone"},
		{"/api/v1/explain?name=x.example", 200, ""},
		{"/api/v1/explain?name=x.example&client_id=not_an_id", 400, ""},
	} {
		var ex Explanation
		if code := get(tt.path, &ex); code != tt.code || ex.ClientID != tt.id {
			t.Errorf("%s: %d, client ID %q; want %d, %q", tt.path, code, ex.ClientID, tt.code, tt.id)
		}
	}
}
