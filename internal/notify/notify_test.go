package notify

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type received struct {
	contentType string
	body        map[string]any
}

func hook(t *testing.T, status int) (*httptest.Server, chan received) {
	t.Helper()
	ch := make(chan received, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("not JSON: %q", b)
		}
		ch <- received{r.Header.Get("Content-Type"), m}
		w.WriteHeader(status)
		_, _ = w.Write([]byte("invalid_payload"))
	}))
	t.Cleanup(srv.Close)
	return srv, ch
}

func TestPost(t *testing.T) {
	srv, ch := hook(t, http.StatusOK)
	w := &Webhook{URL: srv.URL + "/services/T000/B000/secret"}
	if err := w.Post(context.Background(), "New urgent escalation #7"); err != nil {
		t.Fatal(err)
	}
	got := <-ch
	if got.contentType != "application/json" || got.body["text"] != "New urgent escalation #7" || len(got.body) != 1 {
		t.Fatalf("got %+v", got)
	}
}

func TestPostFields(t *testing.T) {
	srv, ch := hook(t, http.StatusNoContent)
	w := &Webhook{URL: srv.URL, Client: &http.Client{Timeout: time.Second}}
	err := w.PostFields(context.Background(), "booking #3", map[string]any{"kind": "booking", "escalation_id": 3, "text": "overridden"})
	if err != nil {
		t.Fatal(err)
	}
	got := <-ch
	if got.body["text"] != "booking #3" || got.body["kind"] != "booking" || got.body["escalation_id"] != float64(3) {
		t.Fatalf("got %+v", got.body)
	}
	type alert struct {
		Text     string `json:"text"`
		Priority string `json:"priority"`
	}
	if err := w.PostJSON(context.Background(), alert{"x", "urgent"}); err != nil {
		t.Fatal(err)
	}
	if got := <-ch; got.body["priority"] != "urgent" {
		t.Fatalf("got %+v", got.body)
	}
}

func TestErrorsClassified(t *testing.T) {
	for _, c := range []struct {
		status    int
		permanent bool
	}{
		{400, true}, {403, true}, {404, true}, {410, true},
		{408, false}, {429, false}, {500, false}, {502, false}, {503, false},
	} {
		srv, _ := hook(t, c.status)
		err := (&Webhook{URL: srv.URL + "/secret-path"}).Post(context.Background(), "x")
		var se *StatusError
		if !errors.As(err, &se) || se.StatusCode != c.status || se.Body != "invalid_payload" {
			t.Fatalf("%d: %v", c.status, err)
		}
		if IsPermanent(err) != c.permanent {
			t.Errorf("%d: permanent = %v", c.status, IsPermanent(err))
		}
	}
	if err := (&Webhook{}).Post(context.Background(), "x"); !errors.Is(err, ErrNoURL) || !IsPermanent(err) {
		t.Fatalf("no URL: %v", err)
	}
	srv, _ := hook(t, 200)
	if err := (&Webhook{URL: srv.URL}).PostJSON(context.Background(), map[string]any{"f": func() {}}); !IsPermanent(err) {
		t.Fatalf("bad payload: %v", err)
	}
}

func TestNetworkErrorsTransientAndURLHidden(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	u := srv.URL + "/services/T000/B000/XXXXSECRET"
	srv.Close()
	err := (&Webhook{URL: u}).Post(context.Background(), "x")
	if err == nil || IsPermanent(err) {
		t.Fatalf("refused connection: %v", err)
	}
	if strings.Contains(err.Error(), "XXXXSECRET") {
		t.Fatalf("error shows the webhook secret: %v", err)
	}

	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = (&Webhook{URL: slow.URL + "/XXXXSECRET"}).Post(ctx, "x")
	if err == nil || IsPermanent(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("timeout: %v", err)
	}
	if strings.Contains(err.Error(), "XXXXSECRET") {
		t.Fatalf("error shows the webhook secret: %v", err)
	}
}
