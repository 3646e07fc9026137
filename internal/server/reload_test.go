package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/flsps/faqbot/internal/config"
	"github.com/flsps/faqbot/internal/store"
)

// copyFAQ copies the repository's FAQ into a temporary directory the test
// may edit.
func copyFAQ(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	src := faqDir(t)
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

type readyBody struct {
	Ready      bool   `json:"ready"`
	FAQVersion string `json:"faq_version"`
	FAQError   string `json:"faq_error"`
}

func (e *env) ready() (int, readyBody) {
	e.t.Helper()
	resp, err := http.Get(e.http.URL + "/readyz")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var r readyBody
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, r
}

func (e *env) metrics() string {
	e.t.Helper()
	resp, err := http.Get(e.http.URL + "/metrics")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// saveByRename writes a file the way vim and many IDEs do: a new file,
// renamed over the old one.
func saveByRename(t *testing.T, path, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// TestFAQEditsReloadLive is issue 12's live reload: an edit under a running
// server answers the next message; a broken edit keeps the last good answer
// with the problem on /readyz (still 200) and in a metric; the fixed file
// recovers. Each stored decision names the FAQ version that made it.
func TestFAQEditsReloadLive(t *testing.T) {
	dir := copyFAQ(t)
	e := start(t, "", func(c *config.Config) { c.FAQDir = dir })
	e.runWorkers()
	const q = "how long does botox last"
	if _, reply := e.sms("+15615550301", q); !strings.Contains(reply, "3 to 6 months") {
		t.Fatalf("before the edit: %q", reply)
	}
	_, r0 := e.ready()

	// 1. A good edit, saved in place.
	file := filepath.Join(dir, "botox-duration.yaml")
	orig, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(orig), "Botox usually lasts about 3 to 6 months", "Botox usually lasts about three to six months", 1)
	if edited == string(orig) {
		t.Fatal("test data: the answer's wording changed; update the test")
	}
	if err := os.WriteFile(file, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	var r1 readyBody
	waitFor(t, "the edit to load", 10*time.Second, func() bool { _, r1 = e.ready(); return r1.FAQVersion != r0.FAQVersion })
	if _, reply := e.sms("+15615550302", q); !strings.Contains(reply, "three to six months") {
		t.Fatalf("after the edit: %q", reply)
	}

	// 2. A broken edit (bad YAML), saved by rename: the last good answer
	// keeps coming, the error is visible.
	saveByRename(t, file, edited+"\nanswer: [not closed\n")
	var r2 readyBody
	var status int
	waitFor(t, "the error on /readyz", 10*time.Second, func() bool { status, r2 = e.ready(); return r2.FAQError != "" })
	if status != http.StatusOK || !r2.Ready || r2.FAQVersion != r1.FAQVersion || !fileLine.MatchString(r2.FAQError) {
		t.Fatalf("/readyz with a broken FAQ: %d %+v", status, r2)
	}
	if m := e.metrics(); !strings.Contains(m, "faqbot_faq_reload_failing 1") {
		t.Fatalf("metric: %s", grepLines(m, "faqbot_faq_reload"))
	}
	if _, reply := e.sms("+15615550303", q); !strings.Contains(reply, "three to six months") {
		t.Fatalf("with a broken file: %q", reply)
	}

	// 3. A duplicate id in a new file is broken too.
	saveByRename(t, file, edited)
	dup := filepath.Join(dir, "dup.yaml")
	if err := os.WriteFile(dup, []byte("id: botox-duration\nquestion: q\nalternates: [a]\nanswer: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the duplicate id on /readyz", 10*time.Second, func() bool {
		_, r := e.ready()
		return strings.Contains(r.FAQError, "duplicate id")
	})

	// 4. Fixed: recovers.
	if err := os.Remove(dup); err != nil {
		t.Fatal(err)
	}
	var r4 readyBody
	waitFor(t, "recovery", 10*time.Second, func() bool { _, r4 = e.ready(); return r4.FAQError == "" })
	if r4.FAQVersion != r1.FAQVersion {
		t.Fatalf("recovered to %s, want %s", r4.FAQVersion, r1.FAQVersion)
	}
	if m := e.metrics(); !strings.Contains(m, "faqbot_faq_reload_failing 0") {
		t.Fatalf("metric: %s", grepLines(m, "faqbot_faq_reload"))
	}

	// Every stored decision names the FAQ version that made it.
	ds, err := e.srv.Store().(*store.SQL).Decisions(context.Background(), time.Unix(0, 0), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{r0.FAQVersion, r1.FAQVersion, r1.FAQVersion}
	if len(ds) != len(want) {
		t.Fatalf("decisions = %+v", ds)
	}
	for i, d := range ds {
		if d.FAQVersion != want[i] {
			t.Errorf("decision %d (%q) has FAQ version %q, want %q", i, d.Body, d.FAQVersion, want[i])
		}
	}
}

// TestReloadFAQOnRequest is what SIGHUP does: without a watcher running, a
// reload picks up the edit.
func TestReloadFAQOnRequest(t *testing.T) {
	dir := copyFAQ(t)
	e := start(t, "", func(c *config.Config) { c.FAQDir = dir })
	_, r0 := e.ready()
	file := filepath.Join(dir, "botox-duration.yaml")
	orig, _ := os.ReadFile(file)
	if err := os.WriteFile(file, []byte(strings.Replace(string(orig), "about 3 to 6 months", "about three to six months", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.ReloadFAQ(); err != nil {
		t.Fatal(err)
	}
	if _, r := e.ready(); r.FAQVersion == r0.FAQVersion {
		t.Fatal("version unchanged after ReloadFAQ")
	}
	if _, reply := e.sms("+15615550311", "how long does botox last"); !strings.Contains(reply, "three to six months") {
		t.Fatalf("after reload: %q", reply)
	}
}

// fileLine is the file:line: message form of a FAQ problem.
var fileLine = regexp.MustCompile(`botox-duration\.yaml:\d+: \S`)

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
