package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/flsps/faqbot/internal/store"
)

func TestTokenCreatePrintsTokenLast(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := staffCLI(t, dir, "", "token", "create", "--name", "zapier")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	tok := lines[len(lines)-1]
	if !strings.HasPrefix(tok, "fqb_") || len(tok) < 40 || strings.ContainsAny(tok, " \t") {
		t.Fatalf("last line %q is not a token; output:\n%s", tok, out)
	}
	st := staffTestStore(t, dir)
	ctx := context.Background()
	got, err := st.APITokenByHash(ctx, store.HashToken(tok))
	if err != nil || got.Name != "zapier" {
		t.Fatalf("stored: %+v %v", got, err)
	}
	if _, err := st.APITokenByHash(ctx, tok); err == nil {
		t.Error("token stored in clear")
	}

	if code, _, errs := staffCLI(t, dir, "", "token", "create", "--name", "zapier"); code == 0 || !strings.Contains(errs, "exists") {
		t.Errorf("duplicate name: %d %s", code, errs)
	}
	if code, _, _ := staffCLI(t, dir, "", "token", "create", "--name", "bad name!"); code != 2 {
		t.Errorf("bad name: exit %d", code)
	}

	_, out, _ = staffCLI(t, dir, "", "token", "list")
	if !strings.Contains(out, "zapier") || strings.Contains(out, tok) || !strings.Contains(out, "never") {
		t.Errorf("list: %s", out)
	}

	if code, out, _ := staffCLI(t, dir, "", "token", "revoke", "--name", "zapier"); code != 0 || !strings.Contains(out, "Revoked") {
		t.Fatalf("revoke: %d %s", code, out)
	}
	if _, err := st.APITokenByHash(ctx, store.HashToken(tok)); err == nil {
		t.Error("token still valid after revoke")
	}
	if code, _, errs := staffCLI(t, dir, "", "token", "revoke", "--name", "zapier"); code == 0 || !strings.Contains(errs, "no token") {
		t.Errorf("revoke again: %d %s", code, errs)
	}
}
