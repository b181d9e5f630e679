package api

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/cleandns/cleandns/runstate"
)

// Bounds of what POST /settings/upstreams and /settings/local-records take.
const (
	maxUpstreamLen = 1024
	maxRecordName  = 255
	maxRecordValue = 1024
	maxRecordTTL   = 7 * 24 * time.Hour
)

func (a *API) addUpstream(w http.ResponseWriter, r *http.Request, c who) error {
	return a.editUpstream(w, r, c, true)
}

func (a *API) removeUpstream(w http.ResponseWriter, r *http.Request, c who) error {
	return a.editUpstream(w, r, c, false)
}

func (a *API) editUpstream(w http.ResponseWriter, r *http.Request, c who, add bool) error {
	if a.d.Settings == nil {
		return notAvailable("console settings")
	}
	server, err := settingParam(r, "server")
	if err != nil {
		return err
	}
	if len(server) > maxUpstreamLen || (add && server == "") {
		return badRequest("server is required: an IP, IP:port, udp://, tcp://, tls://host:853 or https://host/dns-query")
	}
	edit := a.d.Settings.RemoveUpstream
	if add {
		edit = a.d.Settings.AddUpstream
	}
	ch, err := edit(server, c.kind.String()+"@"+c.remote)
	if err != nil {
		return badRequest("%v", err)
	}
	writeJSON(w, http.StatusOK, ch)
	return nil
}

func (a *API) addRecord(w http.ResponseWriter, r *http.Request, c who) error {
	return a.editRecord(w, r, c, true)
}

func (a *API) removeRecord(w http.ResponseWriter, r *http.Request, c who) error {
	return a.editRecord(w, r, c, false)
}

func (a *API) editRecord(w http.ResponseWriter, r *http.Request, c who, add bool) error {
	if a.d.Settings == nil {
		return notAvailable("console settings")
	}
	rec, err := recordParams(r.URL.Query(), add)
	if err != nil {
		return err
	}
	edit := a.d.Settings.RemoveLocalRecord
	if add {
		edit = a.d.Settings.AddLocalRecord
	}
	ch, err := edit(rec, c.kind.String()+"@"+c.remote)
	if err != nil {
		return badRequest("%v", err)
	}
	writeJSON(w, http.StatusOK, ch)
	return nil
}

// recordParams reads a record from name, type, value and ttl (a duration
// such as 5m, or seconds); adding one needs all but ttl.
func recordParams(q url.Values, add bool) (runstate.LocalRecord, error) {
	rec := runstate.LocalRecord{Name: q.Get("name"), Type: q.Get("type"), Value: q.Get("value")}
	if rec.Name == "" || len(rec.Name) > maxRecordName {
		return rec, badRequest("name is required: a domain name such as nas.home.arpa")
	}
	if len(rec.Value) > maxRecordValue || len(rec.Type) > 10 {
		return rec, badRequest("type or value: too long")
	}
	if add && (rec.Type == "" || rec.Value == "") {
		return rec, badRequest("type and value are required: type A, AAAA, CNAME, MX, SRV, TXT, HTTPS, SVCB or PTR, value in zone-file form")
	}
	if t := q.Get("ttl"); t != "" && add {
		d, err := time.ParseDuration(t)
		if n, nerr := strconv.ParseUint(t, 10, 32); nerr == nil {
			d, err = time.Duration(n)*time.Second, nil
		}
		if err != nil || d < time.Second || d > maxRecordTTL {
			return rec, badRequest("ttl: %q is not a duration from 1s to 168h (or seconds)", t)
		}
		rec.TTL = uint32(d / time.Second)
	}
	return rec, nil
}
