// Package reload keeps a running faqbot on the newest good FAQ: it watches
// the FAQ directory (fsnotify) and reloads on change or on request (SIGHUP).
// A reload is all or nothing: the directory must load and lint without
// errors (the rules `faqbot lint` applies), or the last good FAQ keeps
// serving and the problems are logged as file:line: message, kept for
// /readyz and counted in metrics until a later save fixes them.
package reload

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/flsps/faqbot/internal/faq"
)

// DefaultDebounce is how long the directory must stay quiet after a change
// before it is reloaded: editors save in bursts (write a temporary file,
// rename it over the old one, touch a backup), and a reload in the middle of
// a burst would read half an edit.
const DefaultDebounce = 250 * time.Millisecond

// Status is what the last reload left behind.
type Status struct {
	Version  string    `json:"faq_version"` // the FAQ serving now
	Entries  int       `json:"faq_entries"`
	LoadedAt time.Time `json:"faq_loaded_at"`
	// Error is set while the files on disk are broken: the first problem,
	// as file:line: message. The last good FAQ keeps serving.
	Error    string    `json:"faq_error,omitempty"`
	Problems []string  `json:"faq_problems,omitempty"` // every error, file:line: message
	FailedAt time.Time `json:"faq_failed_at,omitzero"`
}

// Reloader loads the FAQ in Dir and hands each good new version to Apply.
type Reloader struct {
	Dir string
	// Apply installs a set that loaded and linted cleanly (e.g. builds an
	// engine and swaps it into the service). Called from one goroutine at a
	// time.
	Apply func(*faq.Set)
	// Checks are the extra lint checks (bot.LintAlternates), as `faqbot
	// lint` runs them.
	Checks   []faq.Check
	Log      *slog.Logger     // nil = discard
	Debounce time.Duration    // 0 = DefaultDebounce
	Now      func() time.Time // nil = time.Now

	reloadMu sync.Mutex // one reload at a time
	mu       sync.Mutex
	status   Status

	failing prometheus.Gauge
	reloads *prometheus.CounterVec
}

// New returns a reloader already serving current, the set the server
// started with.
func New(dir string, current *faq.Set, apply func(*faq.Set), checks ...faq.Check) *Reloader {
	r := &Reloader{Dir: dir, Apply: apply, Checks: checks}
	r.failing = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "faqbot_faq_reload_failing",
		Help: "1 while the FAQ files on disk fail to load or lint (the last good FAQ keeps serving), else 0.",
	})
	r.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "faqbot_faq_reloads_total", Help: "FAQ reloads by result (ok, error, unchanged).",
	}, []string{"result"})
	if current != nil {
		r.status = Status{Version: current.Version, Entries: len(current.Entries), LoadedAt: r.now()}
	}
	return r
}

// Register adds the reloader's metrics to reg.
func (r *Reloader) Register(reg prometheus.Registerer) error {
	if err := reg.Register(r.failing); err != nil {
		return err
	}
	return reg.Register(r.reloads)
}

func (r *Reloader) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Reloader) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Status is the state after the last reload.
func (r *Reloader) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.status
	s.Problems = append([]string(nil), s.Problems...)
	return s
}

// Reload reads the directory now. It returns nil when the FAQ on disk is
// good (applied, or unchanged) and an error listing the problems when it is
// not; either way the bot keeps answering.
func (r *Reloader) Reload() error {
	r.reloadMu.Lock()
	defer r.reloadMu.Unlock()
	set, problems, err := r.check()
	if err != nil {
		r.fail(problems)
		return err
	}
	r.mu.Lock()
	unchanged := r.status.Version == set.Version && r.status.Error == ""
	r.mu.Unlock()
	if unchanged {
		r.reloads.WithLabelValues("unchanged").Inc()
		return nil
	}
	if r.Apply != nil {
		r.Apply(set)
	}
	r.mu.Lock()
	wasFailing := r.status.Error != ""
	prev := r.status.Version
	r.status = Status{Version: set.Version, Entries: len(set.Entries), LoadedAt: r.now()}
	r.mu.Unlock()
	r.failing.Set(0)
	r.reloads.WithLabelValues("ok").Inc()
	r.log().Info("faq: reloaded", "version", set.Version, "previous", prev, "entries", len(set.Entries), "recovered", wasFailing)
	return nil
}

// check loads and lints the directory. A set is returned only when both
// succeed on the same content: the version is compared before and after the
// lint, so a save that lands in between is read again.
func (r *Reloader) check() (*faq.Set, []string, error) {
	for attempt := 0; ; attempt++ {
		set, err := faq.Load(r.Dir)
		if err != nil {
			return nil, problemLines(err), err
		}
		var errs []string
		for _, p := range faq.Lint(r.Dir, r.Checks...) {
			if p.Severity == faq.Error {
				errs = append(errs, p.String())
			}
		}
		if len(errs) > 0 {
			return nil, errs, errors.New(strings.Join(errs, "\n"))
		}
		again, err := faq.Load(r.Dir)
		if err != nil {
			return nil, problemLines(err), err
		}
		if again.Version == set.Version || attempt == 2 {
			return again, nil, nil
		}
	}
}

func problemLines(err error) []string {
	var le *faq.LoadError
	if errors.As(err, &le) {
		out := make([]string, len(le.Problems))
		for i, p := range le.Problems {
			out[i] = p.String()
		}
		return out
	}
	return []string{err.Error()}
}

func (r *Reloader) fail(problems []string) {
	if len(problems) == 0 {
		problems = []string{"unknown error"}
	}
	r.mu.Lock()
	r.status.Error = problems[0]
	r.status.Problems = problems
	r.status.FailedAt = r.now()
	version := r.status.Version
	r.mu.Unlock()
	r.failing.Set(1)
	r.reloads.WithLabelValues("error").Inc()
	for _, p := range problems {
		r.log().Error("faq: reload failed, still serving the last good FAQ: "+p, "version", version)
	}
}

// Watch reloads once, then after every change to a FAQ file under Dir (any
// depth), debounced, until ctx ends. Directories created later are watched too.
// Editors that save by writing a new file and renaming it over the old one
// are covered because the directories, not the files, are watched.
func (r *Reloader) Watch(ctx context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch %s: %w", r.Dir, err)
	}
	defer w.Close()
	if err := addTree(w, r.Dir); err != nil {
		return fmt.Errorf("watch %s: %w", r.Dir, err)
	}
	// Read the directory once the watches are in place: this lints what
	// the server started with (the loader alone tolerates some lint errors,
	// such as an unknown key) and catches edits made before the watch.
	_ = r.Reload()
	debounce := r.Debounce
	if debounce <= 0 {
		debounce = DefaultDebounce
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if ev.Has(fsnotify.Create) {
				if st, err := os.Stat(ev.Name); err == nil && st.IsDir() {
					_ = addTree(w, ev.Name)
					timer.Reset(debounce)
					continue
				}
			}
			if relevant(ev.Name) {
				timer.Reset(debounce)
			}
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			// Overflow or a watch lost: read the directory to be safe.
			r.log().Warn("faq: watcher", "err", err)
			timer.Reset(debounce)
		case <-timer.C:
			_ = r.Reload()
		}
	}
}

// relevant reports whether a changed path may change the FAQ: its YAML and
// JSON files (not editors' swap and backup files).
func relevant(path string) bool {
	base := filepath.Base(path)
	if strings.HasPrefix(base, ".") || strings.HasSuffix(base, "~") {
		return false
	}
	switch strings.ToLower(filepath.Ext(base)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// addTree watches dir and every directory below it (hidden ones excepted).
func addTree(w *fsnotify.Watcher, dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		return w.Add(p)
	})
}
