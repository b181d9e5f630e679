package server

import (
	"bytes"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/cleandns/cleandns/blocklist"
	"github.com/cleandns/cleandns/internal/redact"
	"github.com/cleandns/cleandns/localrecords"
	"github.com/cleandns/cleandns/query"
)

// redactedNote heads an export that hid a secret: the read token sees the
// export too, and a secret is shown nowhere (see internal/redact).
const redactedNote = "# \"" + redact.Marker + "\" hides a secret (a token, a password) a URL carries: put the whole URL back from where it was typed\n"

// ExportSettings renders what the console changed (lists, upstreams, local
// records) as config YAML, to fold back into the file: each key it holds
// replaces the file's whole key. URLs are shown without their secrets.
func (s *Server) ExportSettings() ([]byte, error) {
	file, st := s.fileCfg.Load(), s.settings.Get()
	cfg := applySettings(file, st)
	type group struct {
		Name  string   `yaml:"name"`
		Lists []string `yaml:"lists"`
	}
	var out struct {
		Blocking *struct {
			Lists []string `yaml:"lists"`
		} `yaml:"blocking,omitempty"`
		Groups       []group          `yaml:"groups,omitempty"`
		Upstreams    *exportUpstreams `yaml:"upstreams,omitempty"`
		LocalRecords *exportRecords   `yaml:"local_records,omitempty"`
	}
	if len(st.Upstreams) > 0 {
		out.Upstreams = &exportUpstreams{Servers: redact.Strings(cfg.Upstreams.Servers)}
	}
	if len(st.LocalRecords) > 0 {
		out.LocalRecords = exportLocal(cfg.LocalRecords.Records)
	}
	sources := func(l []blocklist.ListSpec) []string {
		var o []string
		for _, x := range l {
			o = append(o, redact.URL(x.Source))
		}
		return o
	}
	for name := range st.Lists {
		if name == query.DefaultGroup {
			out.Blocking = &struct {
				Lists []string `yaml:"lists"`
			}{sources(cfg.Blocking.Lists)}
		} else if hasGroup(file, name) {
			out.Groups = append(out.Groups, group{name, sources(groupLists(cfg, name))})
		}
	}
	slices.SortFunc(out.Groups, func(a, b group) int {
		if a.Name < b.Name {
			return -1
		}
		return 1
	})
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	if bytes.Contains(buf.Bytes(), []byte(redact.Marker)) {
		return append([]byte(redactedNote), buf.Bytes()...), nil
	}
	return buf.Bytes(), nil
}

// exportUpstreams and exportRecords are the upstreams and local_records
// keys of ExportSettings' YAML.
type exportUpstreams struct {
	Servers []string `yaml:"servers"`
}

type exportRecords struct {
	Records []exportRecord `yaml:"records"`
}

type exportRecord struct {
	Name  string `yaml:"name"`
	Type  string `yaml:"type"`
	Value string `yaml:"value"`
	TTL   string `yaml:"ttl,omitempty"`
}

func exportLocal(records []localrecords.Record) *exportRecords {
	out := &exportRecords{}
	for _, r := range records {
		e := exportRecord{Name: r.Name, Type: r.Type, Value: r.Value}
		if r.TTL > 0 {
			e.TTL = r.TTL.String()
		}
		out.Records = append(out.Records, e)
	}
	return out
}
