package querylog

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// withID is r as a device that named itself sent it.
func withID(r Record, id, protocol string) Record {
	r.ClientID, r.Protocol = id, protocol
	return r
}

// A log written before client IDs (chunk version 1) still opens and is
// searched beside the new records: its records read with no ID, a client
// ID search skips them, an address search finds both, and the top clients
// count a device by its ID and a bare address by itself.
func TestOlderChunksReadBesideClientIDs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	s, err := OpenSQLite(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	old := []Record{rec(t0.Add(-3*time.Minute), "10.0.0.5", "old.example.", "forwarded"),
		rec(t0.Add(-2*time.Minute), "10.0.0.5", "ads.example.", "blocked")}
	data := s.enc.encodeAs(old, 1)
	if _, err := s.db.Exec(`INSERT INTO chunks (first_ts, last_ts, n, data) VALUES (?, ?, ?, ?)`,
		s.enc.first.UnixMicro(), s.enc.last.UnixMicro(), len(old), data); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = OpenSQLite(path, 0) // as after an upgrade
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Write([]Record{
		withID(rec(t0.Add(-time.Minute), "10.0.0.5", "new.example.", "forwarded"), "annas-phone", "doh"),
		withID(rec(t0, "10.0.0.9", "ads.example.", "blocked"), "laptop", "dot"),
		rec(t0, "10.0.0.5", "plain.example.", "forwarded"),
	}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	all, err := s.Search(ctx, Query{})
	if err != nil || len(all) != 5 {
		t.Fatalf("search all: %d records, %v", len(all), err)
	}
	byName := map[string]Record{} // the newest of each name
	for _, r := range all {
		if _, ok := byName[r.Name]; !ok {
			byName[r.Name] = r
		}
	}
	if r := byName["ads.example."]; r.ClientID != "laptop" || r.Protocol != "dot" {
		t.Errorf("newest ads.example. record: %+v, want client ID laptop over dot", r)
	}
	if r := byName["old.example."]; r.ClientID != "" || r.Client != "10.0.0.5" || r.Protocol != "udp" || r.Upstream != "9.9.9.9:53" {
		t.Errorf("version 1 record: %+v", r)
	}
	tests := []struct {
		q    Query
		want []string // names, newest first
	}{
		{Query{ClientID: "annas-phone"}, []string{"new.example."}},
		{Query{ClientID: "laptop", Result: "blocked"}, []string{"ads.example."}},
		{Query{ClientID: "nobody"}, nil},
		{Query{Client: "10.0.0.5"}, []string{"plain.example.", "new.example.", "ads.example.", "old.example."}},
		{Query{Client: "10.0.0.5", ClientID: "annas-phone"}, []string{"new.example."}},
	}
	for _, tc := range tests {
		got, err := s.Search(ctx, tc.q)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range got {
			names = append(names, r.Name)
		}
		if len(names) != len(tc.want) || (len(names) > 0 && names[0] != tc.want[0]) || len(names) > 1 && names[len(names)-1] != tc.want[len(tc.want)-1] {
			t.Errorf("search %+v: %v, want %v", tc.q, names, tc.want)
		}
	}
	top, err := s.Top(ctx, TopClients, t0.Add(-time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []Count{{"10.0.0.5", 3}, {"id:annas-phone", 1}, {"id:laptop", 1}}
	if len(top) != len(want) || top[0] != want[0] || top[1] != want[1] || top[2] != want[2] {
		t.Errorf("top clients %v, want %v", top, want)
	}
}

// The Logger keeps a device's ID with its record and counts the device by
// it, except under querylog.client none, which keeps no identity at all.
func TestLoggerKeepsClientIDs(t *testing.T) {
	tests := []struct{ mode, wantClient, wantID, wantTop string }{
		{ClientFull, "10.1.2.3", "annas-phone", "id:annas-phone"},
		{ClientAnonymize, "10.1.2.0", "annas-phone", "id:annas-phone"},
		{ClientNone, "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.mode, func(t *testing.T) {
			l, err := New(Config{Path: filepath.Join(t.TempDir(), "q.db"), Client: tc.mode}, Deps{Now: func() time.Time { return t0 }})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			req, resp := request("10.1.2.3", "www.example.com.")
			req.ClientID, req.Protocol = "annas-phone", "doh"
			l.Record(req, resp, 0, time.Millisecond)
			ctx := context.Background()
			if err := l.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			got, err := l.Search(ctx, Query{})
			if err != nil || len(got) != 1 || got[0].Client != tc.wantClient || got[0].ClientID != tc.wantID || got[0].Protocol != "doh" {
				t.Fatalf("stored %+v %v, want client %q, ID %q over doh", got, err, tc.wantClient, tc.wantID)
			}
			top, err := l.Top(ctx, TopClients, t0.Add(-time.Hour), 10)
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantTop == "" && len(top) != 0 || tc.wantTop != "" && (len(top) != 1 || top[0].Key != tc.wantTop) {
				t.Errorf("top clients %v, want %q", top, tc.wantTop)
			}
		})
	}
}
