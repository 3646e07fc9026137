package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/flsps/faqbot/internal/config"
	"github.com/flsps/faqbot/internal/staff"
	"github.com/flsps/faqbot/internal/store"
)

func init() {
	register("staff", "manage staff accounts of the web console (add, disable, enable, reset, list)", runStaff)
}

const staffUsage = `Usage:
  faqbot staff add --email EMAIL --name NAME [--admin]   add an account
  faqbot staff disable --email EMAIL                     block sign-in, end its sessions
  faqbot staff enable --email EMAIL                      allow sign-in again
  faqbot staff reset --email EMAIL                       set a new password, end its sessions
  faqbot staff list [--json]                             list accounts

add and reset read the password from standard input when it is piped
(first line, at least 10 characters), else generate one and print it once.
Every subcommand takes --data-dir (env FAQBOT_DATA_DIR, default ./data).
`

func runStaff(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, staffUsage)
		return 2
	}
	if isHelp(args[0]) || args[0] == "help" {
		fmt.Fprint(env.Stdout, staffUsage)
		return 0
	}
	sub, args := args[0], args[1:]
	fs := newFlags(env, "staff "+sub)
	cfg, cfgErr := config.Bind(fs, env.Getenv, "data-dir", "database-url")
	fs.Usage = func() { fmt.Fprint(fs.Output(), staffUsage); fs.PrintDefaults() }
	email := fs.String("email", "", "the account's email address")
	name := fs.String("name", "", "the person's name as colleagues know it (add)")
	admin := fs.Bool("admin", false, "make the account an administrator (add)")
	asJSON := fs.Bool("json", false, "print JSON (list)")
	switch sub {
	case "add", "disable", "enable", "reset", "list":
	default:
		fmt.Fprintf(env.Stderr, "faqbot staff: unknown subcommand %q\n\n%s", sub, staffUsage)
		return 2
	}
	if code, ok := noArgs(env, fs, args); !ok {
		return code
	}
	if cfgErr != nil {
		fmt.Fprintf(env.Stderr, "faqbot staff %s: %v\n", sub, cfgErr)
		return 2
	}
	*email = strings.ToLower(strings.TrimSpace(*email))
	if sub != "list" && (*email == "" || !strings.Contains(*email, "@")) {
		fmt.Fprintf(env.Stderr, "faqbot staff %s: --email is required (an email address)\n", sub)
		return 2
	}
	if sub == "add" && strings.TrimSpace(*name) == "" {
		fmt.Fprintln(env.Stderr, "faqbot staff add: --name is required")
		return 2
	}

	// Only add may create the database (the first account comes before the
	// first start); the others need accounts that exist.
	st, err := openStore(ctx, cfg, sub == "add")
	if err != nil {
		fmt.Fprintf(env.Stderr, "faqbot staff: %v\n", err)
		return 1
	}
	defer st.Close()
	fail := func(err error) int {
		fmt.Fprintf(env.Stderr, "faqbot staff %s: %v\n", sub, err)
		return 1
	}

	switch sub {
	case "add":
		pw, hash, generated, err := newPassword(env)
		if err != nil {
			return fail(err)
		}
		u, err := st.CreateStaff(ctx, *email, strings.TrimSpace(*name), hash, *admin)
		if errors.Is(err, store.ErrDuplicate) {
			return fail(fmt.Errorf("an account for %s already exists (use 'faqbot staff reset' for a new password)", *email))
		}
		if err != nil {
			return fail(err)
		}
		_ = st.Audit(ctx, store.AuditEntry{ActorName: "cli", Action: "staff_add", Detail: u.Email})
		role := "staff"
		if u.Admin {
			role = "admin"
		}
		fmt.Fprintf(env.Stdout, "Added %s <%s> (%s). They sign in at /staff.\n", u.Name, u.Email, role)
		printPassword(env, pw, generated)
	case "disable", "enable":
		u, err := st.StaffByEmail(ctx, *email)
		if err != nil {
			return fail(noAccount(err, *email))
		}
		if err := st.SetStaffDisabled(ctx, u.ID, sub == "disable"); err != nil {
			return fail(err)
		}
		_ = st.Audit(ctx, store.AuditEntry{ActorName: "cli", Action: "staff_" + sub, Detail: u.Email})
		if sub == "disable" {
			fmt.Fprintf(env.Stdout, "Disabled %s <%s>: they can no longer sign in, and their sessions have ended.\n", u.Name, u.Email)
		} else {
			fmt.Fprintf(env.Stdout, "Enabled %s <%s>: they can sign in again.\n", u.Name, u.Email)
		}
	case "reset":
		u, err := st.StaffByEmail(ctx, *email)
		if err != nil {
			return fail(noAccount(err, *email))
		}
		pw, hash, generated, err := newPassword(env)
		if err != nil {
			return fail(err)
		}
		if err := st.SetStaffPassword(ctx, u.ID, hash); err != nil {
			return fail(err)
		}
		if err := st.DeleteSessionsForUser(ctx, u.ID); err != nil {
			return fail(err)
		}
		_ = st.Audit(ctx, store.AuditEntry{ActorName: "cli", Action: "staff_reset", Detail: u.Email})
		fmt.Fprintf(env.Stdout, "New password set for %s <%s>; their sessions have ended.\n", u.Name, u.Email)
		printPassword(env, pw, generated)
	case "list":
		users, err := st.ListStaff(ctx)
		if err != nil {
			return fail(err)
		}
		if *asJSON {
			if users == nil {
				users = []store.StaffUser{}
			}
			enc := json.NewEncoder(env.Stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(users); err != nil {
				return fail(err)
			}
			return 0
		}
		if len(users) == 0 {
			fmt.Fprintln(env.Stdout, "No staff accounts yet. Add one with: faqbot staff add --email EMAIL --name NAME --admin")
			return 0
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "EMAIL\tNAME\tROLE\tSTATUS\tCREATED")
		for _, u := range users {
			role, status := "staff", "active"
			if u.Admin {
				role = "admin"
			}
			if u.Disabled {
				status = "disabled"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.Email, u.Name, role, status, u.CreatedAt.Format("2006-01-02"))
		}
		tw.Flush()
	}
	return 0
}

func noAccount(err error, email string) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no account for %s (see 'faqbot staff list')", email)
	}
	return err
}

// newPassword is readOrGeneratePassword and its hash.
func newPassword(env *Env) (pw, hash string, generated bool, err error) {
	if pw, generated, err = readOrGeneratePassword(env); err != nil {
		return "", "", false, err
	}
	hash, err = staff.HashPassword(pw)
	return pw, hash, generated, err
}

// readOrGeneratePassword reads the first line of a piped standard input;
// with a terminal (or nothing piped) it generates a password.
func readOrGeneratePassword(env *Env) (pw string, generated bool, err error) {
	if stdinPiped(env.Stdin) {
		line, err := bufio.NewReader(io.LimitReader(env.Stdin, 4096)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", false, fmt.Errorf("read password: %w", err)
		}
		line = strings.TrimRight(line, "\r\n")
		if line != "" {
			if err := staff.CheckPassword(line); err != nil {
				return "", false, err
			}
			return line, false, nil
		}
	}
	return staff.GeneratePassword(), true, nil
}

// stdinPiped reports whether r is a pipe or file rather than a terminal
// (a reader that is not a file, as in tests, counts as piped).
func stdinPiped(r io.Reader) bool {
	if r == nil {
		return false
	}
	f, ok := r.(*os.File)
	if !ok {
		return true
	}
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	return fi.Mode()&os.ModeCharDevice == 0
}

func printPassword(env *Env, pw string, generated bool) {
	if !generated {
		fmt.Fprintln(env.Stdout, "Password set from standard input.")
		return
	}
	fmt.Fprintln(env.Stdout, "Their password (shown only now; pass it on privately, it cannot be shown again):")
	fmt.Fprintln(env.Stdout, pw)
}
