package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/flsps/faqbot/internal/logging"
	"github.com/flsps/faqbot/internal/store"
)

func init() {
	register("escalations", "list escalations from the store (--status open, --json)", runEscalations)
}

// escalationJSON is the fixed shape scripts read.
type escalationJSON struct {
	ID             int64      `json:"id"`
	Kind           string     `json:"kind"`
	Priority       string     `json:"priority"`
	Status         string     `json:"status"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	ConversationID int64      `json:"conversation_id"`
	Channel        string     `json:"channel"`
	Patient        string     `json:"patient"` // masked: last four digits
	ClaimedBy      string     `json:"claimed_by,omitempty"`
	ResolvedAt     *time.Time `json:"resolved_at,omitempty"`
	Outcome        string     `json:"outcome,omitempty"`
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
	st, err := openStore(ctx, *dataDir)
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
	out := make([]escalationJSON, 0, len(list))
	for _, e := range list {
		out = append(out, escalationJSON{
			ID: e.ID, Kind: e.Kind, Priority: e.Priority, Status: e.Status, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt,
			ConversationID: e.ConversationID, Channel: e.Channel, Patient: logging.MaskPhone(e.Address),
			ClaimedBy: e.ClaimedByName, ResolvedAt: e.ResolvedAt, Outcome: e.Outcome,
		})
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
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.Priority, e.Kind, e.Status, e.Patient,
			e.CreatedAt.Local().Format("2006-01-02 15:04"), e.ClaimedBy)
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
