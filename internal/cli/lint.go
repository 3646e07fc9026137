package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/flsps/faqbot/internal/bot"
	"github.com/flsps/faqbot/internal/config"
	"github.com/flsps/faqbot/internal/faq"
)

func init() {
	register("lint", "check the FAQ directory (file:line problems, SMS segments); exit 1 on errors", runLint)
}

func runLint(ctx context.Context, env *Env, args []string) int {
	fs := newFlags(env, "lint")
	cfg, err := config.Bind(fs, env.Getenv, "faq")
	quiet := fs.Bool("q", false, "print problems only, not each answer's segment count")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: faqbot lint [--faq DIR] [-q] [DIR]")
		fs.PrintDefaults()
	}
	pos, code, ok := parseArgs(env, fs, args)
	if !ok {
		return code
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "faqbot lint:", err)
		return 2
	}
	switch {
	case len(pos) == 1 && !flagSet(fs, "faq"):
		cfg.FAQDir = pos[0] // "faqbot lint DIR" also works
	case len(pos) > 0:
		fmt.Fprintf(env.Stderr, "faqbot lint: unexpected argument %q\n", pos[len(pos)-1])
		return 2
	}
	errs, warns := 0, 0
	for _, p := range faq.Lint(cfg.FAQDir, bot.LintAlternates) {
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

// flagSet reports whether the flag was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
