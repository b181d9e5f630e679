package console_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium is Debian's browser package; CI installs it (.ci/run).
const chromium = "/usr/bin/chromium"

// browser is a headless Chromium with a fresh profile that records every
// console error, uncaught exception and error log entry of the page.
type browser struct {
	ctx    context.Context
	mu     sync.Mutex
	errors []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("no %s: install Debian's chromium package to run the browser tests", chromium)
		}
		t.Fatalf("CI needs %s: %v", chromium, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelB()
		cancelA()
	})
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting %s: %v", chromium, err)
	}
	b := &browser{ctx: ctx}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				b.record(m.String() + " " + m.URL)
			}
		}
	}()
	return b
}

func (b *browser) record(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.errors = append(b.errors, s)
}

// checkErrors fails the test on anything the page reported since the
// last check, but for the expected messages (a wrong login's 401).
func (b *browser) checkErrors(t *testing.T, expected ...string) {
	t.Helper()
	time.Sleep(100 * time.Millisecond) // let the last messages arrive
	b.mu.Lock()
	defer b.mu.Unlock()
next:
	for _, e := range b.errors {
		for _, x := range expected {
			if strings.Contains(e, x) {
				continue next
			}
		}
		t.Errorf("browser: %s", e)
	}
	b.errors = nil
}

func (b *browser) run(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	err := chromedp.Do(ctx, actions...)
	// The console redraws its tables as it refreshes: a node found by one
	// step can be gone by the next ("Could not find node with given id").
	// A single action (a click) is safe to try again on the new node.
	for try := 0; err != nil && len(actions) == 1 && strings.Contains(err.Error(), "Could not find node") && try < 5; try++ {
		time.Sleep(100 * time.Millisecond)
		err = chromedp.Do(ctx, actions...)
	}
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eval runs a JavaScript expression, awaiting it when it is a promise.
func eval[T any](t *testing.T, b *browser, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

func (b *browser) text(t *testing.T, sel string) string {
	t.Helper()
	b.run(t, "wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// page switches the console to a page (a hash route) and waits for sel.
func (b *browser) page(t *testing.T, hash, sel string) {
	t.Helper()
	eval[any](t, b, fmt.Sprintf("location.hash = %q", hash))
	b.run(t, "page "+hash, chromedp.WaitVisible(chromedp.CSS(sel)))
}

// screenshot saves the viewport at width as a PNG: in docs/screenshots
// with UPDATE_SCREENSHOTS=1 (to refresh the README's), else in a
// temporary folder. Either way it must stay under 300 KB.
func (b *browser) screenshot(t *testing.T, name string, width int64) {
	t.Helper()
	b.run(t, "resize", chromedp.EmulateViewport(width, 900), chromedp.Sleep(300*time.Millisecond))
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	b.run(t, "resize back", chromedp.EmulateViewport(1280, 900))
	dir := t.TempDir()
	if os.Getenv("UPDATE_SCREENSHOTS") != "" {
		dir = filepath.Join("..", "docs", "screenshots")
	}
	path := filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, width))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	if len(png) > 300<<10 {
		t.Errorf("%s: %d KB, want under 300 KB", path, len(png)>>10)
	}
}
