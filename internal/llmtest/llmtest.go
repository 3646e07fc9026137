// Package llmtest is a local HTTP server that speaks the OpenAI
// chat-completions protocol, for tests: it answers POST /v1/chat/completions
// with what the test scripts (a reply, a delay, a status, broken JSON) and
// keeps every request body so a test can check what left the process.
package llmtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Request is one chat-completions request the server received.
type Request struct {
	Body     string // raw JSON, as sent
	Model    string
	System   string // the system message
	User     string // the last user message
	Messages []Message
}

// Message is one chat message of a request.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Response is what the server does for one request. The zero value
// answers "OK".
type Response struct {
	Content string        // the assistant's message
	Status  int           // non-2xx: an error (OpenAI's error JSON)
	Delay   time.Duration // wait first (cut short when the client gives up)
	Raw     string        // send this body verbatim (malformed JSON tests)
}

// Server is a fake chat-completions API. Its methods are safe for
// concurrent use.
type Server struct {
	srv *httptest.Server

	mu    sync.Mutex
	reply func(Request) Response
	reqs  []Request
}

// NewServer starts a server that answers with reply (nil: "OK"); it is
// closed when the test ends.
func NewServer(t testing.TB, reply func(Request) Response) *Server {
	t.Helper()
	s := &Server{reply: reply}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the base URL to configure, ending in /v1.
func (s *Server) URL() string { return s.srv.URL + "/v1" }

// SetReply changes how the server answers.
func (s *Server) SetReply(reply func(Request) Response) {
	s.mu.Lock()
	s.reply = reply
	s.mu.Unlock()
}

// Reply is a reply func that always answers content.
func Reply(content string) func(Request) Response {
	return func(Request) Response { return Response{Content: content} }
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Calls is the number of requests received.
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		http.Error(w, `{"error":{"message":"not found","type":"invalid_request_error"}}`, http.StatusNotFound)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var parsed struct {
		Model    string    `json:"model"`
		Messages []Message `json:"messages"`
	}
	if err := json.Unmarshal(body, &parsed); err != nil {
		http.Error(w, `{"error":{"message":"bad json","type":"invalid_request_error"}}`, http.StatusBadRequest)
		return
	}
	req := Request{Body: string(body), Model: parsed.Model, Messages: parsed.Messages}
	for _, m := range parsed.Messages {
		switch m.Role {
		case "system":
			req.System = m.Content
		case "user":
			req.User = m.Content
		}
	}
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	reply := s.reply
	s.mu.Unlock()
	resp := Response{Content: "OK"}
	if reply != nil {
		resp = reply(req)
	}
	if resp.Delay > 0 {
		select {
		case <-time.After(resp.Delay):
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case resp.Raw != "":
		w.WriteHeader(max(resp.Status, http.StatusOK))
		io.WriteString(w, resp.Raw)
	case resp.Status >= 300:
		w.WriteHeader(resp.Status)
		fmt.Fprintf(w, `{"error":{"message":"scripted failure %d","type":"server_error","code":null}}`, resp.Status)
	default:
		out, _ := json.Marshal(map[string]any{
			"id": "chatcmpl-test", "object": "chat.completion", "created": 1, "model": req.Model,
			"choices": []map[string]any{{
				"index": 0, "finish_reason": "stop",
				"message": map[string]string{"role": "assistant", "content": resp.Content},
			}},
			"usage": map[string]int{"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
		})
		w.Write(out)
	}
}

// Contains reports whether any request body contains s (case-insensitive).
func (s *Server) Contains(sub string) bool {
	for _, r := range s.Requests() {
		if strings.Contains(strings.ToLower(r.Body), strings.ToLower(sub)) {
			return true
		}
	}
	return false
}
