package resolver

import (
	"time"

	"github.com/cleandns/cleandns/query"
)

// Recorder receives every finished query, once, from the edge: the query log
// is one. Record runs on the query's goroutine after the answer is written,
// so it must be cheap and must never block (copy a few fields, send them on,
// drop when busy). req and resp are not to be kept or modified.
//
// rcode is the answer's rcode, or -1 when no answer was sent (Dropped).
type Recorder interface {
	Record(req *query.Request, resp *query.Response, rcode int, d time.Duration)
}

type recorderBox struct{ r Recorder }

// SetRecorder sets the recorder the edge reports finished queries to; nil
// (the default) records nothing. It is safe while serving, so a reload can
// switch the query log on, off or to a new store.
func (e *Edge) SetRecorder(r Recorder) {
	if r == nil {
		e.recorder.Store(nil)
		return
	}
	e.recorder.Store(&recorderBox{r: r})
}
