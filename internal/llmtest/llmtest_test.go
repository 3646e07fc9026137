package llmtest_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	openai "github.com/sashabaranov/go-openai"

	"github.com/flsps/faqbot/internal/llmtest"
)

// The fake speaks the protocol go-openai expects: replies, errors and
// request bodies as a real server would.
func TestSpeaksChatCompletions(t *testing.T) {
	srv := llmtest.NewServer(t, llmtest.Reply("hello"))
	cfg := openai.DefaultConfig("")
	cfg.BaseURL = srv.URL()
	c := openai.NewClientWithConfig(cfg)
	req := openai.ChatCompletionRequest{Model: "m", Messages: []openai.ChatCompletionMessage{
		{Role: openai.ChatMessageRoleSystem, Content: "be brief"}, {Role: openai.ChatMessageRoleUser, Content: "hi"}}}
	resp, err := c.CreateChatCompletion(context.Background(), req)
	if err != nil || len(resp.Choices) != 1 || resp.Choices[0].Message.Content != "hello" {
		t.Fatalf("%+v, %v", resp, err)
	}
	r := srv.Requests()
	if len(r) != 1 || r[0].Model != "m" || r[0].System != "be brief" || r[0].User != "hi" || !strings.Contains(r[0].Body, `"messages"`) {
		t.Fatalf("recorded %+v", r)
	}
	srv.SetReply(func(llmtest.Request) llmtest.Response { return llmtest.Response{Status: 500} })
	var apiErr *openai.APIError
	if _, err := c.CreateChatCompletion(context.Background(), req); !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 500 {
		t.Fatalf("500: %v", err)
	}
}
