package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadAgainstItsOwnServer runs a short closed-loop load against a server
// the command starts, with the bare handler beside it.
func TestLoadAgainstItsOwnServer(t *testing.T) {
	var out, errb bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	prof := filepath.Join(t.TempDir(), "cpu.prof")
	code := Run(context.Background(), []string{"load", "--faq", "../../faq", "--bare", "--concurrency", "4",
		"--duration", "1500ms", "--warmup", "200ms", "--cpuprofile", prof}, env)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out.String(), errb.String())
	}
	for _, want := range []string{"bare net/http", "faqbot (1 server, SQLite)", "p99", "ratio:", "staff alerts received", "urgent alerts:"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("output lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(out.String(), "errors 0 ") {
		t.Fatalf("errors in a clean run:\n%s", out.String())
	}
	if fi, err := os.Stat(prof); err != nil || fi.Size() == 0 {
		t.Fatalf("--cpuprofile wrote nothing: %v", err)
	}
}

// TestLoadRefusesOtherHostsAndUnboundedRuns: loopback only, bounded.
func TestLoadRefusesOtherHostsAndUnboundedRuns(t *testing.T) {
	for _, args := range [][]string{
		{"--url", "http://example.com/twilio/sms", "--auth-token", "x"},
		{"--url", "http://10.0.0.5:8080/twilio/sms", "--auth-token", "x"},
		{"--duration", "2h"},
		{"--concurrency", "100000"},
		{"--replicas", "2"},
	} {
		var out, errb bytes.Buffer
		env := &Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
		if code := Run(context.Background(), append([]string{"load"}, args...), env); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errb.String())
		}
		if errb.Len() == 0 {
			t.Errorf("%v: no message", args)
		}
	}
}
