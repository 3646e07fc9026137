package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/flsps/faqbot/internal/config"
	"github.com/flsps/faqbot/internal/faq"
	"github.com/flsps/faqbot/internal/insight"
)

func init() {
	register("report", "reports from the store: `report unanswered` groups what the FAQ could not answer", runReport)
}

func runReport(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 || args[0] != "unanswered" {
		if len(args) > 0 && args[0] != "-h" && args[0] != "--help" {
			fmt.Fprintf(env.Stderr, "faqbot report: unknown report %q\n", args[0])
		}
		fmt.Fprintln(env.Stderr, "Usage: faqbot report unanswered [--since 30d] [--until DATE] [--json] [--low-confidence 0.6] [--data-dir DIR] [--faq DIR]")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return 0
		}
		return 2
	}
	fs := flag.NewFlagSet("report unanswered", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	// --data-dir, --database-url and --faq (for the nearest entries) follow
	// the settings, as every command's do.
	cfg, cfgErr := config.Bind(fs, env.Getenv, "data-dir", "database-url", "faq")
	if cfgErr != nil {
		fmt.Fprintln(env.Stderr, "faqbot report:", cfgErr)
		return 2
	}
	since := fs.String("since", "30d", "the period: this long before --until (e.g. 30d, 12h)")
	until := fs.String("until", "", "end of the period, 2006-01-02 (midnight, clinic time) or RFC 3339 (default now)")
	low := fs.Float64("low-confidence", insight.DefaultLowConfidence, "FAQ answers below this confidence count as unanswered")
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, `Usage: faqbot report unanswered [flags]

Groups the patient messages of the period that the bot could not answer
(intent unknown, or an FAQ answer below --low-confidence) by similarity,
biggest group first, with examples (digits and e-mail addresses masked)
and, for each group, the nearest FAQ entry ("add an alternate") or "new
entry" (only if the clinic's page answers it).`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	span, err := config.ParseDuration(*since)
	if err != nil || span <= 0 {
		fmt.Fprintf(env.Stderr, "faqbot report: --since: want a duration like 30d or 12h, got %q\n", *since)
		return 2
	}
	set, err := faq.Load(cfg.FAQDir)
	if err != nil {
		fmt.Fprintf(env.Stderr, "faqbot report: load FAQ: %v\n", err)
		return 1
	}
	loc := set.Clinic.Location()
	to := time.Now()
	if *until != "" {
		if to, err = parseUntil(*until, loc); err != nil {
			fmt.Fprintf(env.Stderr, "faqbot report: --until: %v\n", err)
			return 2
		}
	}
	// A report only reads: no database is an error, not a new empty one.
	st, err := openStore(ctx, cfg, false)
	if err != nil {
		fmt.Fprintln(env.Stderr, "faqbot report:", err)
		return 1
	}
	defer st.Close()
	r, err := insight.Build(ctx, st, set, loc, to.Add(-span), to, *low)
	if err != nil {
		fmt.Fprintln(env.Stderr, "faqbot report:", err)
		return 1
	}
	if *asJSON {
		out := struct {
			From          time.Time       `json:"from"`
			To            time.Time       `json:"to"`
			Messages      int             `json:"messages"`
			Unanswered    int             `json:"unanswered"`
			LowConfidence float64         `json:"low_confidence"`
			Groups        []insight.Group `json:"groups"`
		}{r.From, r.To, r.Messages, countMessages(r.Unanswered), r.LowConfidence, r.Unanswered}
		if out.Groups == nil {
			out.Groups = []insight.Group{}
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(out)
		return 0
	}
	printUnanswered(env, r, loc)
	return 0
}

func parseUntil(v string, loc *time.Location) (time.Time, error) {
	if t, err := time.ParseInLocation(time.DateOnly, v, loc); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("want 2006-01-02 or an RFC 3339 time, got %q", v)
}

func countMessages(gs []insight.Group) int {
	n := 0
	for _, g := range gs {
		n += g.Count
	}
	return n
}

func printUnanswered(env *Env, r *insight.Report, loc *time.Location) {
	w := env.Stdout
	n := countMessages(r.Unanswered)
	fmt.Fprintf(w, "Unanswered messages %s to %s (%s): %d of %d, in %d group(s)\n",
		r.From.In(loc).Format("2006-01-02 15:04"), r.To.In(loc).Format("2006-01-02 15:04"), loc, n, r.Messages, len(r.Unanswered))
	fmt.Fprintf(w, "(intent unknown, or an FAQ answer with confidence below %.2f)\n", r.LowConfidence)
	for _, g := range r.Unanswered {
		words := strings.Join(g.Terms, ", ")
		if words == "" {
			words = "(no content words)"
		}
		fmt.Fprintf(w, "\n%4d  %s\n", g.Count, words)
		switch g.Suggestion {
		case insight.SuggestAlternate:
			fmt.Fprintf(w, "      suggestion: add an alternate to %s (similarity %.2f), if it answers these\n", g.Nearest, g.Similarity)
		default:
			fmt.Fprintln(w, "      suggestion: new entry, only if the clinic's page answers it")
		}
		fmt.Fprintf(w, "      decided: %s\n", strings.Join(g.Intents, ", "))
		for _, ex := range g.Examples {
			fmt.Fprintf(w, "      - %q\n", ex)
		}
	}
}
