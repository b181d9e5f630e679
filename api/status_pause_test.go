package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

type pausesOf map[string]time.Time

func (p pausesOf) Pause(string, time.Duration) (time.Time, error) { return time.Time{}, nil }
func (p pausesOf) Resume(string) error                            { return nil }
func (p pausesOf) Paused() map[string]time.Time                   { return p }

// TestStatusSaysEveryoneIsPaused: the global pause is said in words, not
// only as the "" key of paused, which reads like a group with no name.
func TestStatusSaysEveryoneIsPaused(t *testing.T) {
	until := time.Date(2026, 12, 4, 23, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name   string
		pauses pausesOf
		want   bool
	}{
		{"everyone", pausesOf{"": until, "kids": until}, true},
		{"one group", pausesOf{"kids": until}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := New(Tokens{}, Deps{Pauser: c.pauses})
			rec := httptest.NewRecorder()
			a.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://127.0.0.1/api/v1/status", nil))
			var st struct {
				Blocking struct {
					Everyone *time.Time `json:"everyone_paused_until"`
				}
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
				t.Fatal(err)
			}
			if got := st.Blocking.Everyone != nil && st.Blocking.Everyone.Equal(until); got != c.want {
				t.Errorf("everyone_paused_until = %v, want set: %v\n%s", st.Blocking.Everyone, c.want, rec.Body)
			}
		})
	}
}
