package staff_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var dataVersionRE = regexp.MustCompile(`data-version="(\d+)"`)

// A change that lands after a page was rendered but before its event stream
// started must still reach the page: the page carries the version it was
// rendered at, and the stream's first event then has a newer one (the
// script refreshes when they differ).
func TestPageVersionCatchesChangesBeforeTheStream(t *testing.T) {
	e := newEnv(t)
	e.addStaff(dana, "Dana Ortiz", danaPW, false)
	b := e.client()
	b.mustLogin(dana, danaPW)
	version := func(p page) uint64 {
		t.Helper()
		m := dataVersionRE.FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no data-version in the page (status %d)", p.status)
		}
		v, _ := strconv.ParseUint(m[1], 10, 64)
		return v
	}
	first := version(b.get("/staff"))
	e.console.Notify()
	if v := version(b.get("/staff")); v != first+1 {
		t.Fatalf("page version after Notify: %d, want %d", v, first+1)
	}
	e.console.Notify() // after this render, before the stream

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.srv.URL+"/staff/events", nil)
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			var n struct{ Version uint64 }
			if err := json.Unmarshal([]byte(d), &n); err != nil {
				t.Fatal(err)
			}
			if n.Version != first+2 {
				t.Fatalf("stream's first version %d, want %d (newer than the page's %d)", n.Version, first+2, first+1)
			}
			return
		}
	}
	t.Fatalf("stream ended: %v", sc.Err())
}
