package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/flsps/faqbot/internal/config"
)

func init() {
	register("purge", "delete conversations idle longer than --older-than (e.g. 365d)", runPurge)
}

func runPurge(ctx context.Context, env *Env, args []string) int {
	fs := newFlags(env, "purge")
	cfg, cfgErr := config.Bind(fs, env.Getenv, "data-dir", "database-url")
	older := fs.String("older-than", "", "age of the last activity past which a conversation is deleted, e.g. 365d or 2160h (required)")
	dry := fs.Bool("dry-run", false, "say what would be deleted, delete nothing")
	if code, ok := noArgs(env, fs, args); !ok {
		return code
	}
	if cfgErr != nil {
		fmt.Fprintln(env.Stderr, "faqbot purge:", cfgErr)
		return 2
	}
	d, err := config.ParseDuration(*older)
	if err != nil || d <= 0 {
		fmt.Fprintln(env.Stderr, "faqbot purge: --older-than wants a positive duration like 365d")
		return 2
	}
	before := time.Now().Add(-d)
	if *dry {
		fmt.Fprintf(env.Stdout, "would delete conversations with no activity since %s\n", before.Format(time.RFC3339))
		return 0
	}
	st, err := openStore(ctx, cfg, false)
	if err != nil {
		fmt.Fprintln(env.Stderr, "faqbot purge:", err)
		return 1
	}
	defer st.Close()
	n, err := st.Purge(ctx, before)
	if err != nil {
		fmt.Fprintln(env.Stderr, "faqbot purge:", err)
		return 1
	}
	fmt.Fprintf(env.Stdout, "deleted %d conversations with no activity since %s\n", n, before.Format(time.RFC3339))
	return 0
}
