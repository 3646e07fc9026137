package cli

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"text/tabwriter"

	"github.com/flsps/faqbot/internal/config"
	"github.com/flsps/faqbot/internal/staff"
	"github.com/flsps/faqbot/internal/store"
)

func init() {
	register("token", "manage API bearer tokens for integrations (create, list, revoke)", runToken)
}

const tokenUsage = `Usage:
  faqbot token create --name NAME   create a token; it is printed once, as the last line
  faqbot token list                 list tokens (names and use, never the tokens)
  faqbot token revoke --name NAME   revoke a token

Integrations send it as "Authorization: Bearer <token>" to /api/v1/...; they
act as "api:NAME" in the console and the audit log. Tokens are stored
hashed. Every subcommand takes --data-dir (env FAQBOT_DATA_DIR, default ./data).
`

var tokenName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func runToken(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, tokenUsage)
		return 2
	}
	if isHelp(args[0]) || args[0] == "help" {
		fmt.Fprint(env.Stdout, tokenUsage)
		return 0
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "create", "list", "revoke":
	default:
		fmt.Fprintf(env.Stderr, "faqbot token: unknown subcommand %q\n\n%s", sub, tokenUsage)
		return 2
	}
	fs := newFlags(env, "token "+sub)
	cfg, cfgErr := config.Bind(fs, env.Getenv, "data-dir", "database-url")
	fs.Usage = func() { fmt.Fprint(fs.Output(), tokenUsage); fs.PrintDefaults() }
	name := fs.String("name", "", "the integration's name: letters, digits, '.', '_', '-' (create, revoke)")
	if code, ok := noArgs(env, fs, args); !ok {
		return code
	}
	if cfgErr != nil {
		fmt.Fprintf(env.Stderr, "faqbot token %s: %v\n", sub, cfgErr)
		return 2
	}
	if sub != "list" && !tokenName.MatchString(*name) {
		fmt.Fprintf(env.Stderr, "faqbot token %s: --name is required: 1-64 letters, digits, '.', '_' or '-'\n", sub)
		return 2
	}
	st, err := openStore(ctx, cfg, sub == "create")
	if err != nil {
		fmt.Fprintf(env.Stderr, "faqbot token: %v\n", err)
		return 1
	}
	defer st.Close()
	fail := func(err error) int {
		fmt.Fprintf(env.Stderr, "faqbot token %s: %v\n", sub, err)
		return 1
	}

	switch sub {
	case "create":
		raw := staff.NewAPIToken()
		if _, err := st.CreateAPIToken(ctx, *name, store.HashToken(raw)); err != nil {
			if errors.Is(err, store.ErrDuplicate) {
				return fail(fmt.Errorf("a token named %q exists; revoke it first or choose another name", *name))
			}
			return fail(err)
		}
		_ = st.Audit(ctx, store.AuditEntry{ActorName: "cli", Action: "token_create", Detail: *name})
		fmt.Fprintf(env.Stdout, "Created API token %q. It acts as \"api:%s\".\n", *name, *name)
		fmt.Fprintln(env.Stdout, "Store it now: it is shown only once (only its hash is kept).")
		fmt.Fprintln(env.Stdout, raw) // the last line: scripts read it with tail -n 1
	case "list":
		toks, err := st.ListAPITokens(ctx)
		if err != nil {
			return fail(err)
		}
		if len(toks) == 0 {
			fmt.Fprintln(env.Stdout, "No API tokens. Create one with: faqbot token create --name NAME")
			return 0
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tCREATED\tLAST USED")
		for _, t := range toks {
			used := "never"
			if t.LastUsedAt != nil {
				used = t.LastUsedAt.Format("2006-01-02 15:04 MST")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Name, t.CreatedAt.Format("2006-01-02 15:04 MST"), used)
		}
		tw.Flush()
	case "revoke":
		toks, err := st.ListAPITokens(ctx)
		if err != nil {
			return fail(err)
		}
		for _, t := range toks {
			if t.Name == *name {
				if err := st.DeleteAPIToken(ctx, t.ID); err != nil {
					return fail(err)
				}
				_ = st.Audit(ctx, store.AuditEntry{ActorName: "cli", Action: "token_revoke", Detail: *name})
				fmt.Fprintf(env.Stdout, "Revoked API token %q.\n", *name)
				return 0
			}
		}
		return fail(fmt.Errorf("no token named %q (see 'faqbot token list')", *name))
	}
	return 0
}
