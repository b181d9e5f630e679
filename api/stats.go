package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/cleandns/cleandns/querylog"
)

// maxBuckets bounds one /stats answer: since/step may not ask for more.
const maxBuckets = 2000

// Stats is the answer of GET /stats: queries per step, for the console's
// charts, and their sums over the range. Cached is there only when the
// stored records were read (steps that are not multiples of 10 minutes):
// the in-memory counters behind the others do not count cached answers.
type Stats struct {
	Since   time.Time         `json:"since"`
	Step    string            `json:"step"`
	Total   int64             `json:"total"`
	Blocked int64             `json:"blocked"`
	Cached  *int64            `json:"cached,omitempty"`
	Buckets []querylog.Bucket `json:"buckets"` // only steps with queries, oldest first
}

func (a *API) stats(w http.ResponseWriter, r *http.Request, _ who) error {
	if a.d.QueryLog == nil {
		return notAvailable("the query log")
	}
	p := r.URL.Query()
	since := a.d.Now().Add(-24 * time.Hour)
	if s := p.Get("since"); s != "" {
		var err error
		if since, err = a.timeParam(s, "since"); err != nil {
			return err
		}
	}
	step := 10 * time.Minute
	if s := p.Get("step"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < querylog.MinStep {
			return badRequest("step: %q is not a duration of at least %v", s, querylog.MinStep)
		}
		step = d
	}
	if n := a.d.Now().Sub(since) / step; n > maxBuckets {
		return badRequest("since/step asks for %d buckets; at most %d", n, maxBuckets)
	}
	buckets, err := a.d.QueryLog.Histogram(r.Context(), since, step)
	if errors.Is(err, querylog.ErrNotSearchable) {
		return errorf(http.StatusNotImplemented, "%v", err)
	}
	if err != nil {
		return err
	}
	st := Stats{Since: since, Step: step.String(), Buckets: buckets}
	for _, b := range buckets {
		st.Total, st.Blocked = st.Total+b.Total, st.Blocked+b.Blocked
		if b.Cached != nil {
			if st.Cached == nil {
				st.Cached = new(int64)
			}
			*st.Cached += *b.Cached
		}
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}
