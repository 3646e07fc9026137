package reload

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/flsps/faqbot/internal/faq"
)

const entry = "id: %s\nquestion: What is %s?\nalternates: [tell me about %s]\nanswer: %s\n"

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func entryYAML(id, answer string) string {
	return strings.NewReplacer("%s", id).Replace(entry[:strings.LastIndex(entry, "%s")]) + answer + "\n"
}

// recorder is a reloader over a temporary FAQ that counts what it applies.
type recorder struct {
	*Reloader
	dir     string
	mu      sync.Mutex
	applied []*faq.Set
}

func newRecorder(t *testing.T) *recorder {
	t.Helper()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "alpha.yaml"), entryYAML("alpha", "Alpha one."))
	set, err := faq.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{dir: dir}
	r.Reloader = New(dir, set, func(s *faq.Set) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.applied = append(r.applied, s)
	})
	r.Debounce = 150 * time.Millisecond
	if err := r.Register(prometheus.NewRegistry()); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.applied)
}

func (r *recorder) last() *faq.Set {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.applied[len(r.applied)-1]
}

func TestReloadAppliesGoodAndKeepsLastGood(t *testing.T) {
	r := newRecorder(t)
	v0 := r.Status().Version
	if err := r.Reload(); err != nil || r.count() != 0 {
		t.Fatalf("unchanged directory: err %v, applied %d", err, r.count())
	}

	write(t, filepath.Join(r.dir, "alpha.yaml"), entryYAML("alpha", "Alpha two."))
	if err := r.Reload(); err != nil || r.count() != 1 || r.last().Entries[0].Answer != "Alpha two." {
		t.Fatalf("good edit: err %v, applied %d", err, r.count())
	}
	v1 := r.Status().Version
	if v1 == v0 {
		t.Fatal("version unchanged")
	}

	// A lint error that the plain loader tolerates (an unknown key) is
	// still refused: a reload must pass lint.
	write(t, filepath.Join(r.dir, "alpha.yaml"), entryYAML("alpha", "Alpha three.")+"anwser: typo\n")
	err := r.Reload()
	st := r.Status()
	if err == nil || r.count() != 1 || st.Version != v1 || !strings.Contains(st.Error, "alpha.yaml:5: unknown key \"anwser\"") {
		t.Fatalf("lint error: err %v, applied %d, status %+v", err, r.count(), st)
	}

	// Fixed: applied, error cleared.
	write(t, filepath.Join(r.dir, "alpha.yaml"), entryYAML("alpha", "Alpha three."))
	if err := r.Reload(); err != nil || r.count() != 2 || r.Status().Error != "" {
		t.Fatalf("fix: err %v, applied %d, status %+v", err, r.count(), r.Status())
	}
}

func TestReloadBackToTheLastGoodFilesClearsTheError(t *testing.T) {
	r := newRecorder(t)
	good, _ := os.ReadFile(filepath.Join(r.dir, "alpha.yaml"))
	write(t, filepath.Join(r.dir, "alpha.yaml"), "id: [broken\n")
	if r.Reload() == nil {
		t.Fatal("broken YAML accepted")
	}
	write(t, filepath.Join(r.dir, "alpha.yaml"), string(good))
	if err := r.Reload(); err != nil || r.Status().Error != "" {
		t.Fatalf("restored: %v, %+v", err, r.Status())
	}
}

// TestWatchDebouncesBurstsAndSeesNewDirectories: a burst of saves is one
// reload; a file in a directory created after the watch began is seen;
// swap files are ignored.
func TestWatchDebouncesBurstsAndSeesNewDirectories(t *testing.T) {
	r := newRecorder(t)
	var reloads atomic.Int32
	apply := r.Apply
	r.Apply = func(s *faq.Set) { reloads.Add(1); apply(s) }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = r.Watch(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("waiting for %s: timed out (status %+v)", what, r.Status())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	// A first edit: once it is applied the watches are in place (Watch
	// reads the directory only after adding them).
	write(t, filepath.Join(r.dir, "alpha.yaml"), entryYAML("alpha", "Warm up."))
	waitFor("the first edit", func() bool { return r.count() >= 1 })
	reloads.Store(0)

	for i := range 5 {
		write(t, filepath.Join(r.dir, "alpha.yaml"), entryYAML("alpha", "Burst "+string(rune('a'+i))+"."))
	}
	waitFor("the burst", func() bool { return reloads.Load() >= 1 })
	time.Sleep(400 * time.Millisecond)
	if n := reloads.Load(); n != 1 || r.last().Entries[0].Answer != "Burst e." {
		t.Fatalf("a burst of 5 saves gave %d reloads, last %q", n, r.last().Entries[0].Answer)
	}

	write(t, filepath.Join(r.dir, ".alpha.yaml.swp"), "junk")
	time.Sleep(400 * time.Millisecond)
	if n := reloads.Load(); n != 1 {
		t.Fatalf("a swap file caused a reload (%d)", n)
	}

	// intents/ created while watching: its new file is read.
	write(t, filepath.Join(r.dir, "intents", "booking.yaml"), "intent: booking\npatterns: [book]\n")
	waitFor("the new intents directory", func() bool {
		return r.count() >= 3 && r.last().Intents["booking"] != nil
	})
}
