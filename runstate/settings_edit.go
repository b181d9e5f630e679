package runstate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cleandns/cleandns/internal/redact"
)

// LocalRecord is one local record made in the console, in the form of
// local_records.records: a name, a type, the value in zone-file form and a
// TTL in seconds (0: local_records.ttl).
type LocalRecord struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Value string `json:"value"`
	TTL   uint32 `json:"ttl,omitempty"`
}

// Normal is r with its name lower case and without the final dot and its
// type upper case, as the console stores and compares records.
func (r LocalRecord) Normal() LocalRecord {
	r.Name = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(r.Name)), ".")
	r.Type = strings.ToUpper(strings.TrimSpace(r.Type))
	r.Value = strings.TrimSpace(r.Value)
	return r
}

// String is the record as the audit trail shows it: "nas.home.arpa A
// 192.168.1.10".
func (r LocalRecord) String() string {
	s := r.Name + " " + r.Type + " " + r.Value
	if r.TTL > 0 {
		s += fmt.Sprintf(" (ttl %ds)", r.TTL)
	}
	return s
}

// Matches reports whether r is selected by sel: the same name, and the same
// type and value where sel gives them.
func (r LocalRecord) Matches(sel LocalRecord) bool {
	return r.Name == sel.Name && (sel.Type == "" || r.Type == sel.Type) && (sel.Value == "" || r.Value == sel.Value)
}

// clone is a deep copy of st, for a change to start from.
func (st *Settings) clone() *Settings {
	next := &Settings{Lists: map[string]ListChange{}, Audit: st.Audit,
		Upstreams: slices.Clone(st.Upstreams), LocalRecords: slices.Clone(st.LocalRecords)}
	for g, c := range st.Lists {
		next.Lists[g] = ListChange{Add: slices.Clone(c.Add), Remove: slices.Clone(c.Remove)}
	}
	return next
}

// Empty reports whether the settings change nothing over the file.
func (st *Settings) Empty() bool {
	return len(st.Lists) == 0 && len(st.Upstreams) == 0 && len(st.LocalRecords) == 0
}

// WithUpstreams returns the settings with servers as the upstreams, given
// the file's (file): a list equal to the file's drops the setting. The
// store is not changed.
func (st *Settings) WithUpstreams(servers, file []string) *Settings {
	next := st.clone()
	next.Upstreams = slices.Clone(servers)
	if slices.Equal(servers, file) {
		next.Upstreams = nil
	}
	return next
}

// WithLocalRecord returns the settings with r (normalised) added; a record
// of the same name, type and value is replaced (its TTL changes).
func (st *Settings) WithLocalRecord(r LocalRecord) *Settings {
	next := st.clone()
	r = r.Normal()
	same := LocalRecord{Name: r.Name, Type: r.Type, Value: r.Value}
	next.LocalRecords = slices.DeleteFunc(next.LocalRecords, func(x LocalRecord) bool { return x.Matches(same) })
	next.LocalRecords = append(next.LocalRecords, r)
	return next
}

// WithoutLocalRecords returns the settings without the records sel selects
// (see Matches), and those records.
func (st *Settings) WithoutLocalRecords(sel LocalRecord) (*Settings, []LocalRecord) {
	next := st.clone()
	sel = sel.Normal()
	var gone []LocalRecord
	next.LocalRecords = slices.DeleteFunc(next.LocalRecords, func(x LocalRecord) bool {
		if x.Matches(sel) {
			gone = append(gone, x)
			return true
		}
		return false
	})
	if len(next.LocalRecords) == 0 {
		next.LocalRecords = nil
	}
	return next, gone
}

// LocalNames are the names the console's records hold, the set that
// replaces the file's records of those names.
func (st *Settings) LocalNames() map[string]bool {
	out := map[string]bool{}
	for _, r := range st.LocalRecords {
		out[r.Name] = true
	}
	return out
}

// Redacted is st as it may be shown (GET /api/v1/settings, to the read
// token too): the upstreams and list sources without the secrets URLs
// carry (user information, query, fragment), as every other surface shows
// them. Stored settings keep them whole: the server needs them.
func (st *Settings) Redacted() *Settings {
	out := st.clone()
	out.Upstreams = redact.Strings(st.Upstreams)
	if len(st.Upstreams) == 0 {
		out.Upstreams = nil
	}
	for g, c := range out.Lists {
		out.Lists[g] = ListChange{Add: redactAll(c.Add), Remove: redactAll(c.Remove)}
	}
	out.Audit = make([]Change, len(st.Audit))
	for i, c := range st.Audit {
		c.List, c.OldValue, c.NewValue = redact.URL(c.List), redact.Text(c.OldValue), redact.Text(c.NewValue)
		out.Audit[i] = c
	}
	if len(st.Audit) == 0 {
		out.Audit = nil
	}
	return out
}

func redactAll(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	return redact.Strings(ss)
}
