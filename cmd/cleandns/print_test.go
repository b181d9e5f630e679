package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/cleandns/cleandns/querylog"
)

// TestPrintedTimesHaveAZoneAndRecordsAGroup: a pause's end and a record's
// time name their zone, and the query log table shows each record's group.
func TestPrintedTimesHaveAZoneAndRecordsAGroup(t *testing.T) {
	at := time.Date(2026, 12, 4, 14, 0, 0, 0, time.UTC)
	var out bytes.Buffer
	printPaused(&out, map[string]time.Time{"kids": at})
	zone, _ := at.Local().Zone()
	if got := out.String(); !strings.Contains(got, "group kids until") || !strings.Contains(got, zone) {
		t.Errorf("printPaused = %q, want the zone %s", got, zone)
	}
	out.Reset()
	if err := printRecords(&out, []querylog.Record{{Time: at, Client: "10.0.0.5", Group: "kids", Name: "tiktok.com.", Type: "A", Result: "blocked"}}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out.String(), "\n")
	if !strings.Contains(lines[0], "GROUP") || !strings.Contains(lines[1], "kids") || !strings.Contains(lines[1], zone) {
		t.Errorf("printRecords = %q", out.String())
	}
	out.Reset()
	if err := printRecords(&out, []querylog.Record{{Time: at, Client: "10.0.0.5", ClientID: "annas-phone", Name: "tiktok.com.", Type: "A", Result: "forwarded"}}); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.Contains(got, "id:annas-phone (10.0.0.5)") {
		t.Errorf("printRecords with a client ID = %q", got)
	}
}
