package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/flsps/faqbot/internal/store"
)

// staffCLI runs a command in-process against dataDir with stdin.
func staffCLI(t *testing.T, dataDir, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string {
			if k == "FAQBOT_DATA_DIR" {
				return dataDir
			}
			return ""
		}}
	code := Run(context.Background(), args, env)
	return code, out.String(), errb.String()
}

func staffTestStore(t *testing.T, dataDir string) *store.SQL {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(dataDir, store.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestStaffAddWithPipedPassword(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := staffCLI(t, dir, "a long enough secret\n", "staff", "add", "--email", "Dana@Clinic.example", "--name", "Dana Ortiz", "--admin")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "Dana Ortiz <dana@clinic.example> (admin)") || strings.Contains(out, "a long enough secret") {
		t.Errorf("output: %s", out)
	}
	st := staffTestStore(t, dir)
	u, err := st.StaffByEmail(context.Background(), "dana@clinic.example")
	if err != nil || !u.Admin || u.Name != "Dana Ortiz" {
		t.Fatalf("stored: %+v %v", u, err)
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte("a long enough secret")) != nil {
		t.Error("stored hash does not match the piped password")
	}
	// Same email again: refused.
	if code, _, errs := staffCLI(t, dir, "another long secret\n", "staff", "add", "--email", "dana@clinic.example", "--name", "D"); code == 0 || !strings.Contains(errs, "already exists") {
		t.Errorf("duplicate: %d %s", code, errs)
	}
}

func TestStaffAddRejectsShortPassword(t *testing.T) {
	dir := t.TempDir()
	code, _, errs := staffCLI(t, dir, "short\n", "staff", "add", "--email", "lee@clinic.example", "--name", "Lee")
	if code == 0 || !strings.Contains(errs, "at least 10") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if code, _, _ := staffCLI(t, dir, "", "staff", "add", "--email", "lee@clinic.example"); code != 2 {
		t.Errorf("missing --name: exit %d", code)
	}
}

func TestStaffAddGeneratesPassword(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := staffCLI(t, dir, "", "staff", "add", "--email", "lee@clinic.example", "--name", "Lee Park")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	pw := lines[len(lines)-1]
	if len(pw) != 20 || !strings.Contains(out, "shown only now") {
		t.Fatalf("output: %s", out)
	}
	u, _ := staffTestStore(t, dir).StaffByEmail(context.Background(), "lee@clinic.example")
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(pw)) != nil {
		t.Error("printed password does not match")
	}
}

func TestStaffDisableEnableResetList(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := staffCLI(t, dir, "first password!\n", "staff", "add", "--email", "lee@clinic.example", "--name", "Lee Park"); code != 0 {
		t.Fatal(errs)
	}
	st := staffTestStore(t, dir)
	ctx := context.Background()
	u, _ := st.StaffByEmail(ctx, "lee@clinic.example")
	if _, err := st.CreateSession(ctx, store.HashToken("tok1"), u.ID, "csrf", u.CreatedAt.AddDate(1, 0, 0)); err != nil {
		t.Fatal(err)
	}

	if code, out, errs := staffCLI(t, dir, "", "staff", "disable", "--email", "lee@clinic.example"); code != 0 || !strings.Contains(out, "Disabled") {
		t.Fatalf("disable: %d %s %s", code, out, errs)
	}
	if u, _ := st.StaffByEmail(ctx, "lee@clinic.example"); !u.Disabled {
		t.Error("not disabled")
	}
	if _, _, err := st.SessionByHash(ctx, store.HashToken("tok1")); err == nil {
		t.Error("session survived disable")
	}
	_, out, _ := staffCLI(t, dir, "", "staff", "list")
	if !strings.Contains(out, "lee@clinic.example") || !strings.Contains(out, "disabled") {
		t.Errorf("list: %s", out)
	}
	if code, _, _ := staffCLI(t, dir, "", "staff", "enable", "--email", "lee@clinic.example"); code != 0 {
		t.Fatal("enable failed")
	}
	if u, _ := st.StaffByEmail(ctx, "lee@clinic.example"); u.Disabled {
		t.Error("still disabled")
	}

	if _, err := st.CreateSession(ctx, store.HashToken("tok2"), u.ID, "csrf", u.CreatedAt.AddDate(1, 0, 0)); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := staffCLI(t, dir, "second password!\n", "staff", "reset", "--email", "lee@clinic.example"); code != 0 || !strings.Contains(out, "sessions have ended") {
		t.Fatalf("reset: %d %s %s", code, out, errs)
	}
	u, _ = st.StaffByEmail(ctx, "lee@clinic.example")
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte("second password!")) != nil {
		t.Error("password not reset")
	}
	if _, _, err := st.SessionByHash(ctx, store.HashToken("tok2")); err == nil {
		t.Error("session survived reset")
	}

	_, out, _ = staffCLI(t, dir, "", "staff", "list", "--json")
	var users []map[string]any
	if err := json.Unmarshal([]byte(out), &users); err != nil || len(users) != 1 || users[0]["email"] != "lee@clinic.example" {
		t.Errorf("list --json: %s", out)
	}
	if strings.Contains(out, "$2a$") {
		t.Error("password hash in list output")
	}
	if code, _, errs := staffCLI(t, dir, "", "staff", "disable", "--email", "nobody@clinic.example"); code == 0 || !strings.Contains(errs, "no account") {
		t.Errorf("unknown account: %d %s", code, errs)
	}
}
