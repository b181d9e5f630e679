package api

import (
	"net/http"
)

// Profiles renders Apple configuration profiles (.mobileconfig) for the
// encrypted listeners: protocol "doh" or "dot", for the device clientID
// ("" for none).
type Profiles func(protocol, clientID string) ([]byte, error)

// appleProfile serves GET /api/v1/apple.mobileconfig?protocol=doh&id=NAME:
// a profile an iPhone or Mac installs to send its DNS to cleandns over DoH
// (the default) or DoT, naming itself NAME when id is given.
func (a *API) appleProfile(w http.ResponseWriter, r *http.Request, _ who) error {
	if a.d.Profiles == nil {
		return notAvailable("an Apple profile (no DoH or DoT listener)")
	}
	q := r.URL.Query()
	protocol := q.Get("protocol")
	if protocol == "" {
		protocol = "doh"
	}
	b, err := a.d.Profiles(protocol, q.Get("id"))
	if err != nil {
		return badRequest("%v", err)
	}
	name := "cleandns-" + protocol
	if id := q.Get("id"); id != "" {
		name += "-" + id
	}
	w.Header().Set("Content-Type", "application/x-apple-aspen-config")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.mobileconfig"`)
	_, err = w.Write(b)
	return err
}
