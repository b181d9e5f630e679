package api

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
)

// maxSettingBody bounds the JSON body a settings change may carry.
const maxSettingBody = 8 << 10

// settingParam is key from a JSON body ({"server": "…"}), else from the
// query. A value that can carry a secret (an upstream's or a list's URL
// with a token) is better sent in the body: a query string lands in
// proxies' access logs and browser tooling, a body does not. The console
// sends it so.
func settingParam(r *http.Request, key string) (string, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/json" {
		return r.URL.Query().Get(key), nil
	}
	var body map[string]string
	if err := json.NewDecoder(io.LimitReader(r.Body, maxSettingBody)).Decode(&body); err != nil {
		return "", badRequest("body: want a JSON object of strings such as {%q: \"…\"}: %v", key, err)
	}
	if v, ok := body[key]; ok {
		return v, nil
	}
	return r.URL.Query().Get(key), nil
}
