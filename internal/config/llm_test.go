package config

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestLLMSettings(t *testing.T) {
	c, _, err := Parse("serve", nil, env(nil), io.Discard)
	if err != nil || c.LLMPhrasingOn() || c.LLMAssistOn() || c.LLMTimeout != 3*time.Second {
		t.Fatalf("off by default with a 3s timeout: %v %+v", err, c)
	}
	c, _, err = Parse("serve", nil, env(map[string]string{"FAQBOT_LLM_BASE_URL": "http://localhost:11434/v1/", "FAQBOT_LLM_MODEL": "llama3.1:8b"}), io.Discard)
	if err != nil || !c.LLMPhrasingOn() || !c.LLMAssistOn() || c.LLMBaseURL != "http://localhost:11434/v1" {
		t.Fatalf("both on with a base URL: %v %+v", err, c)
	}
	c, _, err = Parse("serve", []string{"--llm-assist", "off"}, env(map[string]string{"FAQBOT_LLM_BASE_URL": "http://h/v1", "FAQBOT_LLM_MODEL": "m"}), io.Discard)
	if err != nil || !c.LLMPhrasingOn() || c.LLMAssistOn() {
		t.Fatalf("assist off: %v %+v", err, c)
	}
	if _, _, err = Parse("serve", nil, env(map[string]string{"FAQBOT_LLM_ASSIST": "on"}), io.Discard); err == nil || !strings.Contains(err.Error(), "FAQBOT_LLM_ASSIST: on needs FAQBOT_LLM_BASE_URL") {
		t.Errorf("assist on without a model: %v", err)
	}
	_, _, err = Parse("serve", nil, env(map[string]string{"FAQBOT_LLM_BASE_URL": "http://localhost:11434", "FAQBOT_LLM_PHRASING": "maybe"}), io.Discard)
	for _, want := range []string{"FAQBOT_LLM_BASE_URL", "/v1", "FAQBOT_LLM_MODEL", "FAQBOT_LLM_PHRASING"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
}
