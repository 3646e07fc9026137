package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/flsps/faqbot/internal/bot"
	"github.com/flsps/faqbot/internal/faq"
)

func init() {
	register("lint", "check the FAQ directory (file:line problems, SMS segments); exit 1 on errors", runLint)
}

func runLint(ctx context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("lint", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	dir := fs.String("faq", "./faq", "FAQ directory")
	quiet := fs.Bool("q", false, "print problems only, not each answer's segment count")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) == 1 && *dir == "./faq" {
		*dir = pos[0] // "faqbot lint DIR" also works
	}
	errs, warns := 0, 0
	for _, p := range faq.Lint(*dir, bot.LintAlternates) {
		switch p.Severity {
		case faq.Error:
			errs++
		case faq.Warning:
			warns++
		case faq.Info:
			if *quiet {
				continue
			}
		}
		fmt.Fprintln(env.Stdout, p.String())
	}
	fmt.Fprintf(env.Stdout, "%d error(s), %d warning(s)\n", errs, warns)
	if errs > 0 {
		return 1
	}
	return 0
}
