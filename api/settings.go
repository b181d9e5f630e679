package api

import (
	"net/http"
	"strconv"

	"github.com/cleandns/cleandns/runstate"
)

// SettingsEditor keeps the settings made in the console over the config
// file: lists switched on or off per group, the upstreams, local records.
// Each change answers the audited change, or an error saying why it was
// refused (then nothing changed).
type SettingsEditor interface {
	Settings() *runstate.Settings
	SetList(group, list string, on bool, by string) (runstate.Change, error)
	// AddUpstream appends server to the upstreams in effect;
	// RemoveUpstream takes it out ("": back to the file's upstreams).
	AddUpstream(server, by string) (runstate.Change, error)
	RemoveUpstream(server, by string) (runstate.Change, error)
	// AddLocalRecord adds a record; RemoveLocalRecord removes the
	// console's records of sel's name (and type and value, when given).
	AddLocalRecord(r runstate.LocalRecord, by string) (runstate.Change, error)
	RemoveLocalRecord(sel runstate.LocalRecord, by string) (runstate.Change, error)
	ExportSettings() ([]byte, error)
}

func (a *API) settings(w http.ResponseWriter, _ *http.Request, _ who) error {
	if a.d.Settings == nil {
		return notAvailable("console settings")
	}
	writeJSON(w, http.StatusOK, a.d.Settings.Settings().Redacted())
	return nil
}

// maxSourceLen bounds a list source given to POST /settings/lists.
const maxSourceLen = 2048

func (a *API) setList(w http.ResponseWriter, r *http.Request, c who) error {
	if a.d.Settings == nil {
		return notAvailable("console settings")
	}
	q := r.URL.Query()
	list, err := settingParam(r, "list")
	if err != nil {
		return err
	}
	group := q.Get("group")
	if group == "" {
		group = "default"
	}
	if list == "" || len(list) > maxSourceLen {
		return badRequest("list is required: builtin:NAME, a file path or an http(s):// URL")
	}
	on, err := strconv.ParseBool(q.Get("on"))
	if err != nil {
		return badRequest("on: %q is not true or false", q.Get("on"))
	}
	ch, err := a.d.Settings.SetList(group, list, on, c.kind.String()+"@"+c.remote)
	if err != nil {
		return badRequest("%v", err)
	}
	writeJSON(w, http.StatusOK, ch)
	return nil
}

func (a *API) exportSettings(w http.ResponseWriter, _ *http.Request, _ who) error {
	if a.d.Settings == nil {
		return notAvailable("console settings")
	}
	b, err := a.d.Settings.ExportSettings()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
	return nil
}
