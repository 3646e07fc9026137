// Package browsertest starts headless Chromium (Debian's, which .ci/run
// installs) for the browser tests, and holds the small helpers they share.
// Without Chromium a test skips, saying so, unless FAQBOT_REQUIRE_BROWSER=1
// makes that a failure (CI).
package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Chromium is Debian's chromium binary.
const Chromium = "/usr/bin/chromium"

const missing = Chromium + " not found (apt-get install -y chromium; FAQBOT_REQUIRE_BROWSER=1 makes this a failure)"

// skipped counts the tests of this process that skipped for want of Chromium.
var skipped atomic.Int32

// Main runs a package's tests; call it from TestMain. Without -v the go
// command prints nothing of a passing package but its "ok" line, so a skip
// would go unseen: when browser tests skipped, Main says so on the go
// command's own output (see announce).
func Main(m *testing.M) {
	code := m.Run()
	if n := skipped.Load(); n > 0 && !testing.Verbose() {
		wd, _ := os.Getwd()
		pkg := filepath.Join(filepath.Base(filepath.Dir(wd)), filepath.Base(wd))
		announce(fmt.Sprintf("SKIP %s: %d browser test(s) did not run: %s\n", pkg, n, missing))
	}
	os.Exit(code)
}

// announce writes line where the user running `go test` reads: on Linux,
// the go command's standard output (the test binary's parent) when that is a
// terminal or a pipe. A regular file is left alone (the go command writes it
// at its own offset, which would overwrite the line; CI makes a missing
// Chromium a failure instead). Otherwise the line goes to this process's
// standard output, which -v and failures show.
func announce(line string) {
	ppid := os.Getppid()
	if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", ppid)); err == nil && filepath.Base(exe) == "go" {
		if f, err := os.OpenFile(fmt.Sprintf("/proc/%d/fd/1", ppid), os.O_WRONLY|os.O_APPEND, 0); err == nil {
			defer f.Close()
			if st, err := f.Stat(); err == nil && st.Mode()&(os.ModeCharDevice|os.ModeNamedPipe|os.ModeSocket) != 0 {
				if _, err := f.WriteString(line); err == nil {
					return
				}
			}
		}
	}
	fmt.Print(line)
}

// New starts a headless browser for the test (closed when it ends). dialogs
// counts the JavaScript dialogs (alert, confirm, prompt) pages open; each is
// dismissed so the page does not stall.
func New(t *testing.T) (ctx context.Context, dialogs *atomic.Int32) {
	t.Helper()
	if _, err := os.Stat(Chromium); err != nil {
		if os.Getenv("FAQBOT_REQUIRE_BROWSER") == "1" {
			t.Fatalf("FAQBOT_REQUIRE_BROWSER=1 but %s is missing: apt-get install -y chromium", Chromium)
		}
		skipped.Add(1)
		t.Skipf("browser test skipped: %s", missing)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(Chromium),
		chromedp.NoSandbox, // CI runs as root
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelCtx := chromedp.NewContext(ctx)
	t.Cleanup(cancelCtx)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	dialogs = new(atomic.Int32)
	err := chromedp.Listen(ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			dialogs.Add(1)
			// A listener must not run commands itself.
			go func() {
				_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
			}()
		}
	})
	if err != nil {
		t.Fatalf("listen for dialogs: %v", err)
	}
	return ctx, dialogs
}

// Do runs steps or fails the test, naming what it was doing.
func Do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// Run runs an action that returns a value, or fails the test.
func Run[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// WaitJS waits until a JavaScript expression is truthy, across page loads
// (a form post navigates; chromedp's Poll does not survive that).
func WaitJS(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("waiting for %s (%s): timed out (last error: %v)", what, expr, last)
}
