package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/flsps/faqbot/internal/staff"
	"github.com/flsps/faqbot/internal/store"
)

func init() {
	register("escalations", "list escalations from the store (--status open, --json)", runEscalations)
}

func runEscalations(ctx context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("escalations", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	dataDir := fs.String("data-dir", envOr(env, "FAQBOT_DATA_DIR", "./data"), "data directory (env FAQBOT_DATA_DIR)")
	status := fs.String("status", "", "only these statuses, comma-separated: open, claimed, resolved (default all)")
	asJSON := fs.Bool("json", false, "print one JSON array")
	limit := fs.Int("limit", 0, "at most this many (0 = all)")
	if err := fs.Parse(args); err != nil {
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
	st, err := openStore(ctx, env, *dataDir)
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

// envOr is the environment's value for key, or def.
func envOr(env *Env, key, def string) string {
	if v := env.Getenv(key); v != "" {
		return v
	}
	return def
}

// openStore opens the store the server uses: PostgreSQL when
// FAQBOT_DATABASE_URL is set, otherwise SQLite in dataDir.
func openStore(ctx context.Context, env *Env, dataDir string) (*store.SQL, error) {
	return store.Open(ctx, env.Getenv("FAQBOT_DATABASE_URL"), dataDir)
}
