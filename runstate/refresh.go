package runstate

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"
)

// DocRefresh is the fleet's last list-refresh request: asking one instance
// to refresh its lists asks every instance sharing the Backend.
const DocRefresh = "refresh"

// refreshMaxAge is how old a request may be and still be acted on: one
// that reaches an instance later (it was down, or Redis was) is stale, as
// the lists' own refresh interval has run since.
const refreshMaxAge = time.Minute

// refreshMinGap is the least time between two requests this instance acts
// on: another instance that asks without pause (a bug, a script on its
// API) must not make every instance download every list over and over.
// A request within the gap is dropped; the lists' own refresh runs anyway.
const refreshMinGap = time.Minute

// RefreshRequest is one request to refresh every list now.
type RefreshRequest struct {
	ID string    `json:"id"`
	At time.Time `json:"at"`
	By string    `json:"by"`
}

// Refreshes passes list-refresh requests between the instances sharing a
// Backend. A request this process made, or one there was before it
// started, is not passed on to it.
type Refreshes struct {
	b   Backend
	now func() time.Time

	mu        sync.Mutex
	seen      string    // the ID of the last request made or heard here
	acted     time.Time // when a request heard was last passed on
	onRequest []func(RefreshRequest)
}

// OpenRefreshes starts listening on b; now nil means time.Now.
func OpenRefreshes(b Backend, now func() time.Time) (*Refreshes, error) {
	if now == nil {
		now = time.Now
	}
	r := &Refreshes{b: b, now: now}
	cur, err := r.read()
	if err != nil {
		return nil, err
	}
	r.seen = cur.ID
	b.Watch(func(doc string) {
		if doc == DocRefresh {
			r.heard()
		}
	})
	return r, nil
}

func (r *Refreshes) read() (RefreshRequest, error) {
	var req RefreshRequest
	b, err := r.b.Get(DocRefresh)
	if err != nil || len(b) == 0 {
		return req, err
	}
	if err := json.Unmarshal(b, &req); err != nil {
		return RefreshRequest{}, fmt.Errorf("runtime state %s: %w", DocRefresh, err)
	}
	return req, nil
}

func (r *Refreshes) heard() {
	req, err := r.read()
	if err != nil || req.ID == "" {
		return
	}
	r.mu.Lock()
	if req.ID == r.seen {
		r.mu.Unlock()
		return
	}
	r.seen = req.ID
	now := r.now()
	// Stale, dated ahead of this clock by more than a skew, or too soon
	// after the last one: not acted on.
	if age := now.Sub(req.At); age > refreshMaxAge || age < -refreshMaxAge ||
		(!r.acted.IsZero() && now.Sub(r.acted) < refreshMinGap) {
		r.mu.Unlock()
		return
	}
	r.acted = now
	fns := slices.Clone(r.onRequest)
	r.mu.Unlock()
	for _, fn := range fns {
		fn(req)
	}
}

// OnRequest registers fn to run when another instance asks for a refresh.
// It runs on the Backend's goroutine: fn must not wait for the refresh.
func (r *Refreshes) OnRequest(fn func(RefreshRequest)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.onRequest = append(r.onRequest, fn)
}

// Request asks every other instance to refresh its lists; by names who
// asked, for their logs.
func (r *Refreshes) Request(by string) error {
	var id [8]byte
	_, _ = rand.Read(id[:])
	req := RefreshRequest{ID: hex.EncodeToString(id[:]), At: r.now().UTC(), By: by}
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.seen = req.ID
	r.mu.Unlock()
	if err := r.b.Set(DocRefresh, b); err != nil {
		return fmt.Errorf("runtime state %s: %w", DocRefresh, err)
	}
	return nil
}
