package query

import (
	"context"
	"slices"
	"testing"
)

type restFunc func() (*Response, error)

func (f restFunc) Resolve(context.Context, *Request) (*Response, error) { return f() }

// back records, on the way back, its number into the Response's Reason.
type back struct{ n byte }

func (b back) Continue(_ context.Context, _ *Request, resp *Response, err error) (*Response, error) {
	resp.Reason += string('0' + b.n)
	return resp, err
}

// TestResumeRunsTheWaysBackInOrder checks Resume runs the rest, then each
// way back in the order Return kept them, however many, and that a request
// copied before it suspends keeps ways back of its own.
func TestResumeRunsTheWaysBackInOrder(t *testing.T) {
	for _, n := range []int{0, 1, 2, 4, 5, 9} {
		r := new(Request)
		r.Suspend(restFunc(func() (*Response, error) { return &Response{}, nil }))
		copied := *r
		copied.Suspend(restFunc(func() (*Response, error) { return &Response{Reason: "copy:"}, nil }))
		copied.Return(back{9})
		var want string
		for i := range n {
			r.Return(back{byte(i)})
			want += string(rune('0' + i))
		}
		resp, err := r.Resume(context.Background(), nil)
		if err != nil || resp.Reason != want {
			t.Errorf("%d ways back: %q, %v; want %q", n, resp.Reason, err, want)
		}
		if r.Suspended() || len(r.backs) != 0 || slices.ContainsFunc(r.backsArray[:], func(c Continuation) bool { return c != nil }) {
			t.Errorf("%d ways back: the request still holds its continuation after Resume", n)
		}
		if resp, _ := copied.Resume(context.Background(), nil); resp.Reason != "copy:9" {
			t.Errorf("%d ways back: the copy resumed with %q, want %q", n, resp.Reason, "copy:9")
		}
	}
}

// TestReturnAllocatesNothing checks the default pipeline's two ways back
// cost a suspended request no allocation.
func TestReturnAllocatesNothing(t *testing.T) {
	r := new(Request)
	rest := restFunc(func() (*Response, error) { return nil, nil })
	var c Continuation = back{1}
	if n := testing.AllocsPerRun(100, func() {
		r.Suspend(rest)
		r.Return(c)
		r.Return(c)
	}); n != 0 {
		t.Errorf("%v allocations, want 0", n)
	}
}

// scratchSeen records the Scratch a rest or a way back saw.
type scratchSeen struct{ got *[]byte }

func (s scratchSeen) Resolve(_ context.Context, req *Request) (*Response, error) {
	*s.got = req.Scratch
	return &Response{}, nil
}

func (s scratchSeen) Continue(_ context.Context, req *Request, resp *Response, err error) (*Response, error) {
	*s.got = req.Scratch
	return resp, err
}

// TestResumeGivesScratchToTheWaysBackOnly checks the buffer Resume is given
// is the ways back's, where the answer is built, and never the rest's,
// whose answer a deduplicated exchange shares with other requests; and that
// the inline run's buffer (the socket reader's) is gone in both.
func TestResumeGivesScratchToTheWaysBackOnly(t *testing.T) {
	reader, own := make([]byte, 0, 16), make([]byte, 0, 32)
	for _, tc := range []struct {
		name    string
		scratch []byte
		back    int // the cap the way back should see
	}{
		{"own buffer", own, 32},
		{"none", nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var inRest, inBack []byte
			r := &Request{Inline: true, Scratch: reader}
			r.Suspend(scratchSeen{&inRest})
			r.Return(scratchSeen{&inBack})
			if _, err := r.Resume(context.Background(), tc.scratch); err != nil {
				t.Fatal(err)
			}
			if inRest != nil {
				t.Errorf("the rest saw a Scratch of cap %d, want none", cap(inRest))
			}
			if (inBack == nil) != (tc.scratch == nil) || cap(inBack) != tc.back {
				t.Errorf("the way back saw a Scratch of cap %d (nil %v), want cap %d", cap(inBack), inBack == nil, tc.back)
			}
		})
	}
}
