package server

import (
	"errors"
	"fmt"
)

// resource is one component a generation holds. close stops it (nil: it
// holds nothing that needs stopping, as the cache and the rate limiter);
// id is the component itself, so a generation can tell whether the next
// one holds it too.
type resource struct {
	name  string
	id    any
	close func() error
}

// holdings are what a generation owns (built for it) and what it borrowed
// (taken over, unchanged, from the generation before). Whoever holds a
// resource last closes it: a retiring generation closes what its successor
// does not hold, a build that fails closes what it built, a shutdown
// closes everything.
type holdings struct {
	owned, borrowed []resource
}

func (h *holdings) own(name string, id any, close func() error) {
	h.owned = append(h.owned, resource{name: name, id: id, close: close})
}

// borrow takes over prev's resource for id; false when prev has none.
func (h *holdings) borrow(prev *holdings, id any) bool {
	if prev == nil {
		return false
	}
	for _, r := range prev.all() {
		if r.id == id {
			h.borrowed = append(h.borrowed, r)
			return true
		}
	}
	return false
}

func (h *holdings) all() []resource {
	return append(append([]resource(nil), h.owned...), h.borrowed...)
}

func (h *holdings) holds(id any) bool {
	for _, r := range h.all() {
		if r.id == id {
			return true
		}
	}
	return false
}

// release closes, in reverse order of taking, every resource keep does
// not hold (keep nil: all of them).
func (h *holdings) release(keep *holdings) error {
	rs := h.all()
	var errs []error
	for i := len(rs) - 1; i >= 0; i-- {
		r := rs[i]
		if r.close == nil || (keep != nil && keep.holds(r.id)) {
			continue
		}
		if err := r.close(); err != nil {
			errs = append(errs, fmt.Errorf("close %s: %w", r.name, err))
		}
	}
	return errors.Join(errs...)
}
