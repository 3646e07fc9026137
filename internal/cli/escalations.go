package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/flsps/faqbot/internal/config"
	"github.com/flsps/faqbot/internal/staff"
	"github.com/flsps/faqbot/internal/store"
)

func init() {
	register("escalations", "list escalations from the store (--status open, --json)", runEscalations)
}

func runEscalations(ctx context.Context, env *Env, args []string) int {
	fs := newFlags(env, "escalations")
	cfg, cfgErr := config.Bind(fs, env.Getenv, "data-dir", "database-url")
	status := fs.String("status", "", "only these statuses, comma-separated: open, claimed, resolved (default all)")
	asJSON := fs.Bool("json", false, "print one JSON array")
	limit := fs.Int("limit", 0, "at most this many (0 = all)")
	if code, ok := noArgs(env, fs, args); !ok {
		return code
	}
	if cfgErr != nil {
		fmt.Fprintln(env.Stderr, "faqbot escalations:", cfgErr)
		return 2
	}
	var statuses []string
	for _, s := range strings.Split(*status, ",") {
		s = strings.TrimSpace(s)
		switch s {
		case "":
		case store.EscOpen, store.EscClaimed, store.EscResolved:
			statuses = append(statuses, s)
		default:
			fmt.Fprintf(env.Stderr, "faqbot escalations: unknown status %q (want open, claimed or resolved)\n", s)
			return 2
		}
	}
	st, err := openStore(ctx, cfg, false)
	if err != nil {
		fmt.Fprintln(env.Stderr, "faqbot escalations:", err)
		return 1
	}
	defer st.Close()
	list, err := st.Escalations(ctx, store.EscalationFilter{Status: statuses, Limit: *limit})
	if err != nil {
		fmt.Fprintln(env.Stderr, "faqbot escalations:", err)
		return 1
	}
	// The same objects as GET /api/v1/escalations, so scripts can use either.
	out := make([]staff.APIEscalation, 0, len(list))
	for i := range list {
		out = append(out, staff.ToAPIEscalation(&list[i]))
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return 1
		}
		return 0
	}
	if len(out) == 0 {
		fmt.Fprintln(env.Stdout, "no escalations")
		return 0
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPRIORITY\tKIND\tSTATUS\tPATIENT\tCREATED\tOWNER")
	for _, e := range out {
		owner := ""
		if e.ClaimedBy != nil {
			owner = *e.ClaimedBy
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.Priority, e.Kind, e.Status, e.Patient,
			e.CreatedAt.Local().Format("2006-01-02 15:04"), owner)
	}
	tw.Flush()
	return 0
}
